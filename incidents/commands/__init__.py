"""One module per `incidents` subcommand: add_arguments(parser) and run(args) -> exit code."""
