"""Organisations (STIX identities) and the accounts that belong to them."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from fimishare.sharing.principals import Principal
from fimishare.stix import Role
from fimishare.store.passwords import hash_secret, verify_secret
from fimishare.store.schema import accounts, api_keys, organisations

API_KEY_PREFIX = "fsk_"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _unknown_account_hash() -> str:
    return hash_secret(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about organisations or accounts that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    is_node: bool
    clearance: str | None


@dataclass(frozen=True)
class Account:
    name: str
    identity_id: str
    org_id: str
    role: Role
    clearance: str | None

    def principal(self, exercise: bool = False) -> Principal:
        return Principal(self.identity_id, self.org_id, self.role, self.clearance, exercise=exercise)


def organisation_identity(org: Organisation, created: str) -> dict[str, Any]:
    """The STIX identity that stands for an organisation in created_by_ref and releasability markings."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": org.id,
        "created": created,
        "modified": created,
        "name": org.name,
        "identity_class": "organization",
    }


class Directory:
    def __init__(self, engine: Engine):
        self.engine = engine

    def add_organisation(self, name: str, *, is_node: bool = False, clearance: str | None = None) -> Organisation:
        name = name.strip()
        if not name:
            raise AccountError("an organisation needs a name")
        with self.engine.begin() as connection:
            if connection.execute(select(organisations.c.id).where(organisations.c.name == name)).first():
                raise AccountError(f"organisation {name!r} already exists")
            if is_node and connection.execute(select(organisations.c.id).where(organisations.c.is_node)).first():
                raise AccountError("this node already has its own organisation")
            org = Organisation(f"identity--{uuid.uuid4()}", name, is_node, clearance)
            connection.execute(
                insert(organisations).values(
                    id=org.id, name=name, is_node=is_node, clearance=clearance, created_at_us=time.time_ns() // 1000
                )
            )
        return org

    def organisations(self) -> list[Organisation]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(organisations).order_by(organisations.c.name)).all()
        return [Organisation(r.id, r.name, r.is_node, r.clearance) for r in rows]

    def organisation(self, name_or_id: str) -> Organisation:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(organisations).where((organisations.c.name == name_or_id) | (organisations.c.id == name_or_id))
            ).first()
        if row is None:
            raise AccountError(f"no organisation named {name_or_id!r} (see 'fimishare orgs list')")
        return Organisation(row.id, row.name, row.is_node, row.clearance)

    def node_organisation(self) -> Organisation:
        with self.engine.connect() as connection:
            row = connection.execute(select(organisations).where(organisations.c.is_node)).first()
        if row is None:
            raise AccountError("this node has no organisation yet: run 'fimishare init'")
        return Organisation(row.id, row.name, row.is_node, row.clearance)

    def add_account(self, name: str, *, org: str, role: str, password: str, clearance: str | None = None) -> Account:
        try:
            role = Role(role)
        except ValueError:
            raise AccountError(f"role {role!r} is not one of {', '.join(Role)}") from None
        if len(password) < 12:
            raise AccountError("the password must be at least 12 characters long")
        organisation = self.organisation(org)
        account = Account(name, f"identity--{uuid.uuid4()}", organisation.id, role, clearance)
        with self.engine.begin() as connection:
            if connection.execute(select(accounts.c.id).where(accounts.c.name == name)).first():
                raise AccountError(f"account {name!r} already exists")
            connection.execute(
                insert(accounts).values(
                    name=name,
                    identity_id=account.identity_id,
                    org_id=account.org_id,
                    role=role,
                    password_hash=hash_secret(password),
                    clearance=clearance,
                    created_at_us=time.time_ns() // 1000,
                )
            )
        return account

    def accounts(self) -> list[Account]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(accounts).order_by(accounts.c.name)).all()
        return [Account(r.name, r.identity_id, r.org_id, Role(r.role), r.clearance) for r in rows]

    def account(self, name: str) -> Account:
        with self.engine.connect() as connection:
            row = connection.execute(select(accounts).where(accounts.c.name == name)).first()
        if row is None:
            raise AccountError(f"no account named {name!r}")
        return Account(row.name, row.identity_id, row.org_id, Role(row.role), row.clearance)

    def issue_api_key(self, name: str) -> str:
        """A new random API key for the account (shown once; only its digest is kept)."""
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            account_id = connection.execute(select(accounts.c.id).where(accounts.c.name == name)).scalar()
            if account_id is None:
                raise AccountError(f"no account named {name!r}")
            connection.execute(insert(api_keys).values(digest=key_digest(key), account_id=account_id, created_at_us=time.time_ns() // 1000))
        return key

    def revoke_api_keys(self, name: str) -> int:
        with self.engine.begin() as connection:
            account_id = connection.execute(select(accounts.c.id).where(accounts.c.name == name)).scalar()
            if account_id is None:
                raise AccountError(f"no account named {name!r}")
            return connection.execute(delete(api_keys).where(api_keys.c.account_id == account_id)).rowcount

    def authenticate_key(self, key: str, name: str | None = None) -> Account | None:
        """The account holding this API key (and named ``name``, when given)."""
        if not key.startswith(API_KEY_PREFIX):
            return None
        query = select(accounts).join(api_keys, api_keys.c.account_id == accounts.c.id).where(api_keys.c.digest == key_digest(key))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or (name is not None and row.name != name):
            return None
        return Account(row.name, row.identity_id, row.org_id, Role(row.role), row.clearance)

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account for a name and its password or one of its API keys."""
        if password.startswith(API_KEY_PREFIX):
            account = self.authenticate_key(password, name)
            if account is not None:
                return account
        with self.engine.connect() as connection:
            row = connection.execute(select(accounts).where(accounts.c.name == name)).first()
        # An unknown name costs one scrypt too, so the time taken does not tell names apart.
        stored = row.password_hash if row is not None else _unknown_account_hash()
        if not verify_secret(password, stored) or row is None:
            return None
        return Account(row.name, row.identity_id, row.org_id, Role(row.role), row.clearance)
