"""The `incidents` command itself: a mistyped command gets the closest ones."""

from __future__ import annotations

from incidents.cli import COMMANDS, main


def test_mistyped_command_suggests_the_closest(capsys):
    assert main(["qurey", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'qurey'" in err and "Did you mean 'query'" in err
    assert main(["-v", "exprot", "csv"]) == 2
    assert "Did you mean 'export'" in capsys.readouterr().err


def test_unrelated_word_lists_every_command(capsys):
    assert main(["zzzz"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean" not in err and all(name in err for name in COMMANDS)
