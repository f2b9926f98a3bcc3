from http.server import ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    """A stand-in's HTTP server: a connection a fault broke on purpose is no error to print.

    The socketserver default prints a traceback to sys.stderr, which a test running the CLI in
    this process would read as the tool's own output; the errors are kept here instead."""

    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.handler_errors: list[str] = []

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        import sys

        self.handler_errors.append(repr(sys.exc_info()[1]))
