"""HTML views of evaluation, one module per area: surveys and feedback, indicators, experiments,
and the public transparency pages."""
