"""The top-level ``beamkit`` command: face aliases and help."""
from beamkit import cli


def test_aliases_point_at_faces():
    from beamkit import FACES
    assert set(cli.ALIASES.values()) <= set(FACES)


def test_refl_alias_runs_reflections_cli(capsys):
    # `beamkit refl --help` reaches the reflections face's parser (argparse exits 0 after help)
    try:
        rc = cli.main(["refl", "--help"])
    except SystemExit as exc:
        rc = exc.code
    assert rc == 0
    assert "show" in capsys.readouterr().out


def test_unknown_face_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out
