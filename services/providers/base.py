"""The choice between a real provider and its sandbox, made once at start-up."""


def choose(kind: str, configured: str, settings, sandbox):
    """The configured provider; the sandbox is refused in production, so a misconfiguration fails at start."""
    if configured == "sandbox":
        if settings.production:
            raise RuntimeError(f"the sandbox {kind} provider is refused in production")
        return sandbox()
    raise RuntimeError(f"unknown {kind.upper()}_PROVIDER {configured!r}")
