"""Who a request comes from: one account check for the JSON API and TAXII alike."""

from __future__ import annotations

from werkzeug.datastructures import Authorization

from fimishare.store.accounts import Account, Directory

CREDENTIALS = "HTTP Basic with an account name and password (or API key), or Bearer with an API key"


def authenticate(credentials: Authorization | None, directory: Directory) -> tuple[Account | None, str]:
    """(the account, "") for good credentials, else (None, what is wrong, for a 401's message)."""
    account = None
    if credentials is not None and credentials.type == "basic" and credentials.username and credentials.password:
        account = directory.authenticate(credentials.username, credentials.password)
    elif credentials is not None and credentials.type == "bearer" and credentials.token:
        account = directory.authenticate_key(credentials.token)
    if account is not None:
        return account, ""
    problem = "wrong credentials" if credentials is not None else "authentication required"
    return None, f"{problem}: {CREDENTIALS}"
