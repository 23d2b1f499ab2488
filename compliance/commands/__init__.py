"""One module per CLI command: ``add_arguments(parser)`` and ``run(args) -> exit code``.

Modules are imported only when their command runs, so that ``compliance check`` does not pay for
numpy, pyarrow or Jinja2.
"""
