"""Command-line entrypoint: parse arguments, call a service, render the answer."""
