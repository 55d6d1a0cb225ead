#!/usr/bin/env bash
# Rebuild the minified partial plotly.js bundle (traces: scatter, scattergl, heatmap + plotly.js core,
# with the patch in lab-patches.cjs beside this script) from the npm registry, for the plotly.js version
# the installed plotly Python package ships (plotly.offline.get_plotlyjs_version(): the one place the
# version lives).
# Usage: build_plotly.sh            writes static/plotly-<version>-lab2.min.js and its checksum,
#                                   build/plotly/bundle.sha256 (`make plotly-js` runs this)
#        build_plotly.sh OUTPUT     writes OUTPUT only and compares its checksum with bundle.sha256
# Python: $PLOTLY_PYTHON, default .venv/bin/python of the repository.
# Needs node (>=20; tested with v20.20.2) and npm (tested with 11.19.1).
# Work dir: $PLOTLY_BUILD_WORKDIR, default ./plotly-bundle-work beside this script (git-ignored).
# If package-lock.json sits beside this script it is used (npm ci) for exact transitive versions;
# without one, npm install resolves the versions and the new lock file is copied beside this script.
set -euo pipefail

if [ $# -gt 1 ]; then echo "usage: $0 [OUTPUT_PATH]" >&2; exit 2; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PLOTLY_PYTHON:-$ROOT/.venv/bin/python}"
VERSION="$("$PY" -c 'import plotly.offline; print(plotly.offline.get_plotlyjs_version())')"
if ! [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "unexpected plotly.js version from $PY: '$VERSION'" >&2; exit 1
fi
NAME="plotly-$VERSION-lab2.min.js"
SUM="$HERE/bundle.sha256"
if [ $# -eq 1 ]; then
    OUT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    OUT="$ROOT/static/$NAME"
fi
LOCK="$HERE/package-lock.json"
if [ -f "$LOCK" ]; then
    LOCKED="$(node -e 'console.log(require(process.argv[1]).packages["node_modules/plotly.js"].version)' "$LOCK")"
    if [ "$LOCKED" != "$VERSION" ]; then
        echo "package-lock.json pins plotly.js $LOCKED, the plotly package ships $VERSION:" >&2
        echo "delete $LOCK to resolve the versions anew (and check that lab-patches.cjs still applies)" >&2
        exit 1
    fi
fi
echo "building $NAME (plotly.js $VERSION from $PY)"
WORK="${PLOTLY_BUILD_WORKDIR:-$HERE/plotly-bundle-work}"
mkdir -p "$WORK"
cd "$WORK"

cat > package.json <<EOF
{
  "name": "plotly-lab-bundle",
  "private": true,
  "version": "1.0.0",
  "dependencies": {
    "buffer": "6.0.3",
    "esbuild": "0.28.2",
    "esbuild-plugin-environment": "0.5.0",
    "esbuild-plugin-glsl": "1.4.2",
    "esbuild-plugin-inline-css": "0.0.1",
    "plotly.js": "$VERSION"
  }
}
EOF

cat > entry.js <<'EOF'
'use strict';
// plotly.js core (layout, axes, annotations, shapes, images, sliders, updatemenus,
// rangeslider/selector, legend, fx/hover, modebar, selections, colorscale/colorbar,
// errorbars, animation/frames); core also registers the `scatter` trace.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/scattergl'),
    require('plotly.js/lib/heatmap')
]);
module.exports = Plotly;
EOF

cat > strip-meta-plugin.cjs <<'EOF'
'use strict';
// esbuild plugin: drop documentation-only attribute metadata (description, requiredOpts,
// otherOpts, role, hrName) from plotly.js/src files, as plotly.js' release build does.
const fs = require('fs');
const path = require('path');
const prop = (re) => new RegExp('\\s*' + re + ',?', 'g');
const PATTERNS = [
    prop("description: '.*'"),
    prop('description: \\[[\\s\\S]*?\\]\\.join\\([\\s\\S]*?\\)'),
    prop('requiredOpts: \\[[\\s\\S]*?\\]'),
    prop('otherOpts: \\[[\\s\\S]*?\\]'),
    prop("role: '.*'"),
    prop("hrName: '.*'")
];
const labPatches = require('./lab-patches.cjs');
module.exports = function stripMetaPlugin(stats) {
    return {
        name: 'plotly-strip-meta-attributes',
        setup(build) {
            const srcDir = path.sep + path.join('plotly.js', 'src') + path.sep;
            build.onLoad({ filter: /\.js$/ }, async (args) => {
                if (!args.path.includes(srcDir)) return undefined;
                let code = await fs.promises.readFile(args.path, 'utf8');
                const before = code.length;
                for (const re of PATTERNS) code = code.replace(re, '');
                if (stats && code.length !== before) { stats.files++; stats.bytes += before - code.length; }
                code = labPatches.apply(args.path, code, stats);
                return { contents: code, loader: 'js' };
            });
        }
    };
};
EOF

cat > build.mjs <<'EOF'
// esbuild settings = plotly.js 4.1.1 esbuild-config.js (iife, globalName Plotly, es2020 instead of es2016,
// define global/define.amd, regl alias, inline-css + glsl + environment plugins) + minify,
// + attribute-metadata stripping and the same UMD header/footer as dist/plotly*.min.js.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const stripMetaPlugin = require('./strip-meta-plugin.cjs');

const outfile = path.resolve(process.argv[2]);
const version = require('plotly.js/package.json').version;
if (version !== process.env.PLOTLY_JS_VERSION) {
    throw new Error('expected plotly.js ' + process.env.PLOTLY_JS_VERSION + ', got ' + version);
}

const banner = [
    '/**',
    '* plotly.js v' + version + ' (partial bundle: scatter, scattergl, heatmap)',
    '* Copyright 2012-2026, Plotly, Inc.',
    '* All rights reserved.',
    '* Licensed under the MIT license',
    '*/',
    '(',
    ' function(root, factory) {',
    '  if (typeof module === "object" && module.exports) {',
    '   module.exports = factory();',
    '  } else {',
    '   root.moduleName = factory();',
    '  }',
    '} (typeof self !== "undefined" ? self : this, () => {'
].join('\n');
const footer = ['', 'window.Plotly = Plotly;', 'return Plotly;', '}));'].join('\n');

const here = path.dirname(fileURLToPath(import.meta.url));

// esbuild-plugin-inline-css names each injected <style> by the sha256 of the CSS file's absolute path, so
// the bundle's bytes would depend on the work folder. The same plugin, with the id taken from the path
// relative to the work folder (node_modules/maplibre-gl/dist/maplibre-gl.css): the same bytes anywhere.
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
function inlineCssPlugin() {
    const plugin = InlineCSSPlugin();
    return {
        name: plugin.name,
        setup(build) {
            const proxy = Object.create(build);
            proxy.onLoad = (options, callback) => build.onLoad(options, async (args) => {
                const result = await callback(args);
                const absolute = sha256(path.resolve(args.resolveDir, args.path));
                const relative = sha256(path.relative(here, args.path).split(path.sep).join('/'));
                if (!result.contents.includes(absolute)) throw new Error('no style id in ' + args.path);
                return { ...result, contents: result.contents.split(absolute).join(relative) };
            });
            plugin.setup(proxy);
        }
    };
}

const stats = { files: 0, bytes: 0 };
await build({
    absWorkingDir: here, // so the regl -> @plotly/regl alias resolves from this folder
    entryPoints: [path.join(here, 'entry.js')],
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    plugins: [inlineCssPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false }), stripMetaPlugin(stats)],
    alias: { regl: '@plotly/regl' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2020',
    banner: { js: banner },
    footer: { js: footer },
    logLevel: 'info'
});
console.log('stripped attribute metadata from ' + stats.files + ' plotly.js source files (' + stats.bytes + ' bytes)');
const expected = require('./lab-patches.cjs').count;
if (stats.patches !== expected) throw new Error('expected ' + expected + ' Langevin Lab patches to apply, applied ' + stats.patches);
console.log('applied ' + stats.patches + ' Langevin Lab patches (lab-patches.cjs)');
EOF

cp "$HERE/lab-patches.cjs" lab-patches.cjs
if [ -f "$LOCK" ]; then
    cp "$LOCK" package-lock.json
    nice -n 10 npm ci --no-audit --no-fund --ignore-scripts
else
    rm -f package-lock.json
    nice -n 10 npm install --no-audit --no-fund --ignore-scripts
    cp package-lock.json "$LOCK"
    echo "new lock file: $LOCK"
fi
PLOTLY_JS_VERSION="$VERSION" nice -n 10 node build.mjs "$OUT"
ls -l "$OUT"
HASH="$(sha256sum "$OUT" | cut -d' ' -f1)"
if [ $# -eq 0 ]; then
    echo "$HASH  $NAME" > "$SUM"
    echo "checksum: $SUM"
    for old in "$ROOT"/static/plotly-*.min.js; do
        if [ "$old" != "$OUT" ]; then echo "note: $old is an older bundle; git rm it" >&2; fi
    done
elif [ -f "$SUM" ] && [ "$(cut -d' ' -f1 "$SUM")" = "$HASH" ]; then
    echo "$OUT is byte-identical to the committed bundle ($SUM)"
else
    echo "$OUT differs from the committed bundle ($SUM): sha256 $HASH" >&2
    exit 1
fi
