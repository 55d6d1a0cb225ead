'use strict';
// Changes to plotly.js 4.1.1 source, each applied to exactly one spot (the build fails otherwise).
//
// Scatter points keep their style: on every animation frame plotly restyles every marker point
// (opacity, path, fill, stroke: five style writes per point), although the points of a trace whose
// markers share one style look the same frame after frame. A point is restyled only when its trace's
// marker style differs from the one it was last drawn with, or when plotly has restyled points some other
// way since (Drawing.pointStyle after a full draw or a restyle, Drawing.selectedPointStyle for a selection:
// both count in Drawing.labStyleEpoch). Per-point styles, active selections, angles relative to the point's
// position, gradients, patterns and transitions restyle as before. Playback of 3 x 500 SVG points: about
// 22 -> 31 fps.
const path = require('path');

const COUNT_STYLING = '    drawing.labStyleEpoch = (drawing.labStyleEpoch || 0) + 1; // Langevin Lab patch\n';

// Each patch replaces ``find`` by ``replace``, or inserts ``insert`` right ``after`` some code, and may
// ``append`` code to the end of the file.
const PATCHES = [
    {
        file: 'plotly.js/src/traces/scatter/plot.js',
        after: '            styleFns = Drawing.makePointStyleFns(trace);\n        }\n',
        insert: '        var uniformStyle = labUniformStyle(trace, styleFns, hasTransition);\n'
    },
    {
        file: 'plotly.js/src/traces/scatter/plot.js',
        find: 'Drawing.singlePointStyle(d, sel, trace, styleFns, gd);',
        replace: 'labPointStyle(this, d, sel, trace, styleFns, gd, uniformStyle);',
        append: `
// Langevin Lab patch (build/plotly/build_plotly.sh): keep a point's style while its trace's uniform
// marker style is unchanged, instead of restyling every point on every frame.
var LAB_POINT_STYLE_FIELDS = ['mo', 'ms', 'mx', 'so', 'mlw', 'mlc', 'mc', 'mld', 'mgt', 'mgc', 'isBlank', 'ma', 'mf'];

function labUniformStyle(trace, styleFns, hasTransition) {
    var marker = trace.marker || {};
    var line = marker.line || {};
    var gradient = marker.gradient || {};
    var pattern = marker.pattern || {};
    var fns = styleFns || {};
    var parts = [Drawing.labStyleEpoch, marker.color, marker.opacity, marker.size, marker.sizeref, marker.sizemin,
        marker.sizemode, marker.symbol, marker.angle, marker.standoff, line.color, line.width, line.dash];
    if(hasTransition || fns.selectedOpacityFn || fns.selectedColorFn || fns.selectedSizeFn ||
        (marker.angleref && marker.angleref !== 'up') ||
        (gradient.type && gradient.type !== 'none') || pattern.shape || pattern.path ||
        parts.some(Lib.isArrayOrTypedArray)) return null;
    return parts.join('|');
}

function labPointStyle(node, d, sel, trace, styleFns, gd, uniformStyle) {
    var key = uniformStyle;
    for(var i = 0; key !== null && i < LAB_POINT_STYLE_FIELDS.length; i++) {
        if(d[LAB_POINT_STYLE_FIELDS[i]] !== undefined) key = null;
    }
    if(key !== null && node.__labStyle === key) {
        d.mrc = node.__labMrc; // what singlePointStyle leaves on the point for hover and selection
        d.om = node.__labOm;
        return;
    }
    Drawing.singlePointStyle(d, sel, trace, styleFns, gd);
    node.__labStyle = key;
    node.__labMrc = d.mrc;
    node.__labOm = d.om;
}
`
    },
    {   // every other way plotly styles points: the next frame restyles them all once
        file: 'plotly.js/src/components/drawing/index.js',
        after: 'drawing.pointStyle = function (s, trace, gd, pt) {\n    if (!s.size()) return;\n',
        insert: COUNT_STYLING
    },
    {
        file: 'plotly.js/src/components/drawing/index.js',
        after: 'drawing.selectedPointStyle = function (s, trace) {\n    if (!s.size() || !trace.selectedpoints) return;\n',
        insert: COUNT_STYLING
    }
];
exports.count = PATCHES.length;

// ``code`` of the plotly.js source ``file`` with the patches for that file applied.
exports.apply = function apply(file, code, stats) {
    for (const patch of PATCHES) {
        if (!file.endsWith(patch.file.split('/').join(path.sep))) continue;
        const find = patch.after ?? patch.find;
        const parts = code.split(find);
        if (parts.length !== 2) {
            throw new Error(patch.file + ': expected the code to patch once, found it ' + (parts.length - 1) + ' times');
        }
        code = parts.join(patch.after === undefined ? patch.replace : patch.after + patch.insert) + (patch.append || '');
        stats.patches = (stats.patches || 0) + 1;
    }
    return code;
};
