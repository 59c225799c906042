"""The command line as an administrator uses it: init, organisations, accounts, import, export."""

import json

import orjson
from stix2validator import ValidationOptions, validate_instance
from support.stix_factory import bundle, sdo

from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.stix import TLP_AMBER, TLP_AMBER_STRICT, TLP_GREEN, TLP_RED


def test_init_is_safe_to_run_again(node, cli):
    first_org = node.store.directory.node_organisation()
    result = cli("init")
    assert result.exit_code == 0 and "store ready" in result.output
    assert node.store.directory.node_organisation() == first_org


def test_init_publishes_tlp_definitions_profiles_and_the_node_identity(node):
    held = node.store.objects.latest(
        [TLP_GREEN, TLP_RED, "extension-definition--94ef16a4-16eb-43aa-93a7-1e1a3433fd06", node.store.directory.node_organisation().id]
    )
    assert len(held) == 4
    assert held[node.store.directory.node_organisation().id]["name"] == "EEAS"


def test_commands_before_init_say_what_to_do(settings, cli):
    result = cli("orgs", "list")
    assert result.exit_code != 0 and "run 'fimishare init' first" in result.output


def test_orgs_and_users(node, cli):
    assert cli("orgs", "add", "JP-NISC", "--clearance", "RESTRICTED").exit_code == 0
    assert "already exists" in cli("orgs", "add", "JP-NISC").output
    assert "not one of" in cli("orgs", "add", "X", "--clearance", "TOP").output
    result = cli("users", "add", "sync-jp", "--org", "JP-NISC", "--role", "sync", "--password", "a-long-api-key-0001")
    assert result.exit_code == 0
    assert (
        "no organisation named 'Nowhere'" in cli("users", "add", "u", "--org", "Nowhere", "--role", "viewer", "--password", "x" * 12).output
    )
    assert "at least 12" in cli("users", "add", "u", "--org", "JP-NISC", "--role", "viewer", "--password", "short").output
    listing = cli("users", "list").output
    assert f"sync-jp\t{node.store.directory.account('sync-jp').identity_id}\tJP-NISC\tsync" in listing
    # the secret is kept only as a salted hash
    account = node.store.directory.authenticate("sync-jp", "a-long-api-key-0001")
    assert account and account.role == "sync"
    assert node.store.directory.authenticate("sync-jp", "a-long-api-key-0002") is None
    from sqlalchemy import select

    from fimishare.store.schema import accounts

    with node.store.engine.connect() as connection:
        stored = connection.execute(select(accounts.c.password_hash)).scalar_one()
    assert "a-long-api-key-0001" not in stored and stored.startswith("scrypt$")


def test_import_reports_stored_unchanged_rejected_and_exits_non_zero(node, cli, tmp_path):
    good, bad = sdo(), sdo(created="2024-11-01T09:00:00Z")
    path = tmp_path / "reports.json"
    path.write_bytes(orjson.dumps(bundle(good, bad)))
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert f"rejected: {path}: {bad['id']} at $.created" in result.output
    assert "stored 1, unchanged 0, rejected 1" in result.output
    path.write_bytes(orjson.dumps(bundle(good)))
    again = cli("import", str(path))
    assert again.exit_code == 0 and "stored 0, unchanged 1, rejected 0" in again.output


def test_import_of_a_broken_file_names_it_and_continues_with_the_rest(node, cli, tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_bytes(orjson.dumps(bundle(sdo())))
    result = cli("import", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'a.json'}: malformed JSON" in result.output
    assert "stored 1," in result.output


def _import(cli, tmp_path, name, objects, *args):
    path = tmp_path / name
    path.write_bytes(orjson.dumps(bundle(*objects)))
    result = cli("import", str(path), *args)
    assert result.exit_code == 0, result.output
    return result


def _export(cli, tmp_path, *args):
    out = tmp_path / "export.json"
    result = cli("export", "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    verdict = validate_instance(exported, ValidationOptions(version="2.1"))
    assert verdict.is_valid, [str(e) for e in verdict.errors]
    return {obj["id"] for obj in exported["objects"]}


def test_export_is_filtered_by_the_sharing_policy_for_the_recipient(node, cli, tmp_path):
    cli("orgs", "add", "JP-NISC")
    cli("orgs", "add", "Other CERT")
    japan = node.store.directory.organisation("JP-NISC").id
    rel_japan = fimishare_marking_definition("REL TO JP-NISC", releasable_to=[japan])
    green = sdo("campaign", object_marking_refs=[TLP_GREEN])
    amber = sdo("campaign", object_marking_refs=[TLP_AMBER])
    amber_for_japan = sdo("campaign", object_marking_refs=[TLP_AMBER, rel_japan["id"]])
    red = sdo("campaign", object_marking_refs=[TLP_RED])
    _import(cli, tmp_path, "local.json", [rel_japan, green, amber, amber_for_japan, red])

    for_japan = _export(cli, tmp_path, "--for", "JP-NISC", "--type", "campaign")
    assert for_japan == {green["id"], amber_for_japan["id"]}
    for_other = _export(cli, tmp_path, "--for", "Other CERT", "--type", "campaign")
    assert for_other == {green["id"]}
    own = _export(cli, tmp_path, "--type", "campaign")
    assert red["id"] not in own  # RED never leaves by export, not even for its own organisation


def test_what_a_partner_sent_as_amber_strict_is_never_passed_on(node, cli, tmp_path):
    cli("orgs", "add", "JP-NISC")
    cli("orgs", "add", "Other CERT")
    other = node.store.directory.organisation("Other CERT").id
    rel_other = fimishare_marking_definition("REL TO Other CERT", releasable_to=[other])
    strict = sdo("campaign", object_marking_refs=[TLP_AMBER_STRICT, rel_other["id"]])
    _import(cli, tmp_path, "from-japan.json", [rel_other, strict], "--org", "JP-NISC")
    assert strict["id"] not in _export(cli, tmp_path, "--for", "Other CERT", "--type", "campaign")
    assert strict["id"] not in _export(cli, tmp_path, "--for", "JP-NISC", "--type", "campaign")


def test_export_to_stdout_and_unknown_recipient(node, cli):
    result = cli("export", "--type", "identity")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "bundle"
    assert "no organisation named 'Nowhere'" in cli("export", "--for", "Nowhere").output
