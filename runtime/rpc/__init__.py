"""The pool's control API (JSON over HTTP, bearer token) and its client."""
