"""Langevin Lab's pages and the shared pieces under them (figures, settings, simulations, controls)."""
