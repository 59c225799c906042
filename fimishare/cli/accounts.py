"""This node, partner organisations and accounts: init, orgs, users."""

from __future__ import annotations

import secrets

import click

from fimishare.cli.base import check_level, main, open_node, print_report
from fimishare.config import Settings
from fimishare.ingest.reference import add_organisation
from fimishare.node import Node, initialise
from fimishare.stix import Role
from fimishare.store.accounts import AccountError


@main.command()
@click.option("--org-name", default="fimishare node", show_default=True, help="Name of this node's own organisation.")
def init(org_name: str) -> None:
    """Create the store and this node's own organisation (safe to run again)."""
    node = Node(Settings.from_env())
    org, made, report = initialise(node, org_name)
    click.echo(f"store {'created' if made else 'ready'} at {node.settings.database_url}; this node is {org.name} ({org.id})")
    if not report.ok:
        print_report(report)
        raise SystemExit(1)


@main.group()
def orgs() -> None:
    """Partner organisations."""


@orgs.command("add")
@click.argument("name")
@click.option("--clearance", help="Highest classification level this organisation may receive.")
def orgs_add(name: str, clearance: str | None) -> None:
    node = open_node()
    check_level(node, clearance)
    try:
        org, report = add_organisation(node.store.directory, node.pipeline, name, clearance=clearance)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    if not report.ok:
        print_report(report)
        raise SystemExit(1)
    click.echo(f"{org.name}\t{org.id}")


@orgs.command("list")
def orgs_list() -> None:
    for org in open_node().store.directory.organisations():
        click.echo(f"{org.name}\t{org.id}\t{'this node' if org.is_node else 'partner'}\t{org.clearance or '-'}")


@main.group()
def users() -> None:
    """People and machine accounts."""


@users.command("add")
@click.argument("name")
@click.option("--org", "org", required=True, help="Organisation name or identity id.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--password", help="Portal password. Without one (machine accounts), an API key is made and printed, once.")
@click.option("--clearance", help="Highest classification level this account may read.")
def users_add(name: str, org: str, role: str, password: str | None, clearance: str | None) -> None:
    node = open_node()
    check_level(node, clearance)
    try:
        # Without a password the account signs in with API keys only: its password is a
        # random secret no one ever sees.
        account = node.store.directory.add_account(
            name, org=org, role=role, password=password or secrets.token_urlsafe(32), clearance=clearance
        )
        key = None if password else node.store.directory.issue_api_key(name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{account.name}\t{account.identity_id}\t{account.role}")
    if key:
        click.echo(f"api key\t{key}")


@users.command("key")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke every API key of the account instead.")
def users_key(name: str, revoke: bool) -> None:
    """Make a new API key for an account and print it (it is shown only this once)."""
    node = open_node()
    try:
        if revoke:
            click.echo(f"revoked {node.store.directory.revoke_api_keys(name)} API key(s) of {name}", err=True)
        else:
            click.echo(node.store.directory.issue_api_key(name))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@users.command("list")
def users_list() -> None:
    node = open_node()
    names = {org.id: org.name for org in node.store.directory.organisations()}
    for account in node.store.directory.accounts():
        org = names.get(account.org_id, account.org_id)
        click.echo(f"{account.name}\t{account.identity_id}\t{org}\t{account.role}\t{account.clearance or '-'}")
