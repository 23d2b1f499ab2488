"""The language server for ``.rules`` files (``compliance lsp``): ``server.py`` wires pygls to the
features, each in its own module working on a :class:`~compliance.lsp.analysis.Analysis`."""
