"""``novaevo diagnose`` and ``novaevo diagnostics train|eval`` (Typer).

``diagnose --snapshot FILE`` diagnoses a saved snapshot; ``diagnose --verify DIAGNOSIS
AFTER`` checks a repair; ``diagnose --sim [--fault ...]`` / ``--device URL`` runs the guided
test on a car. ``--json`` prints the Diagnosis as JSON, ``--lang fr|en`` the language.
Exit codes: :class:`obdcore.errors.ExitCode`, the same for every ``novaevo`` command
(2 bad usage, 7 an unreadable or invalid snapshot or diagnosis file, 3-6 reaching the car;
6 also when the car stopped answering during the test: the partial diagnosis is printed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from obdcore.errors import EXIT_CODES_HELP, ExitCode, ObdError

app = typer.Typer(
    help="Diagnosis engine: train and evaluate the ranker.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_USAGE = ExitCode.USAGE
EXIT_BAD_INPUT = ExitCode.INPUT_FILE
EXIT_CAR_STOPPED = ExitCode.LINK


def _fail(message: str, code: int = EXIT_BAD_INPUT, hint: str = "") -> None:
    from obdcore.io.failures import fail

    fail("novaevo diagnose", message, code, hint)


def _print(diagnosis, lang: str, as_json: bool) -> None:
    if as_json:
        typer.echo(diagnosis.model_dump_json(indent=2))
        return
    from diagnostics.report import render

    typer.echo(render(diagnosis, lang))


def diagnose_command(
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="a saved snapshot (.json)")
    ] = None,
    verify: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            "--verify", help="DIAGNOSIS AFTER: a saved diagnosis and the snapshot after the repair"
        ),
    ] = None,
    sim: Annotated[
        bool, typer.Option("--sim", help="run the guided test on the simulator")
    ] = False,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help="simulator fault, repeatable")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="adapter URL")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="fr or en")] = "en",
    save_snapshot: Annotated[Path | None, typer.Option("--save-snapshot")] = None,
) -> None:
    """Diagnose a car (guided test), a saved snapshot, or check a repair."""
    if lang not in ("en", "fr"):
        _fail(f"--lang must be en or fr, not {lang!r}", EXIT_USAGE)
    chosen = [bool(snapshot), bool(verify), sim or bool(device)]
    if sum(chosen) != 1:
        _fail(
            "give exactly one of --snapshot FILE, --verify DIAGNOSIS AFTER, --sim, --device URL",
            EXIT_USAGE,
        )
    from diagnostics.snapshot import SnapshotError

    try:
        if snapshot:
            _diagnose_file(snapshot, lang, as_json)
        elif verify:
            _verify_files(*verify, lang, as_json)
        else:
            _guided(sim, fault or [], device, lang, as_json, save_snapshot)
    except SnapshotError as error:
        _fail(str(error))


def _diagnose_file(path: Path, lang: str, as_json: bool) -> None:
    from diagnostics.engine import diagnose
    from diagnostics.snapshot import load_snapshot

    _print(diagnose(load_snapshot(path)), lang, as_json)


def _verify_files(diagnosis_path: Path, after: Path, lang: str, as_json: bool) -> None:
    from pydantic import ValidationError

    from diagnostics.repair import verify
    from diagnostics.snapshot import Diagnosis, load_snapshot

    try:
        diagnosis = Diagnosis.model_validate_json(diagnosis_path.read_bytes())
    except OSError as error:
        _fail(f"cannot read {diagnosis_path}: {error.strerror}")
    except ValidationError as error:
        _fail(f"{diagnosis_path} is not a NovaEvo diagnosis: {error.errors()[0]['msg']}")
    try:
        check = verify(diagnosis, load_snapshot(after))
    except ValueError as error:
        _fail(str(error))
    if as_json:
        typer.echo(check.model_dump_json(indent=2))
        return
    typer.echo(getattr(check.summary, lang))
    for item in check.evidence:
        typer.echo(f"  {'+' if item.weight > 0 else '-'} {getattr(item.text, lang)}")


def _guided(
    sim: bool, faults: list[str], device: str | None, lang: str, as_json: bool, save: Path | None
) -> None:
    from diagnostics.runner import PromptDriver, SimulatorDriver, run_guided_test
    from obdcore.io.failures import fail_with
    from obdcore.io.target import Target

    # The simulated car starts as --sim does everywhere: driven with its faults, warm.
    try:
        target = Target(device=device, sim=sim, faults=tuple(faults), sim_timing="realistic")
    except ObdError as error:  # a malformed --device, or --device with --sim
        fail_with("novaevo diagnose", error)

    def say(text: str) -> None:
        typer.echo(text, err=True)

    def gauge(name: str, value: float | None) -> None:
        typer.echo(f"  {name}: {'-' if value is None else f'{value:,.0f}'}", err=True)

    driver = (SimulatorDriver if sim else PromptDriver)(say, gauge, lang)
    say(f"Connecting to {target.describe()}…")
    try:
        result = target.run(lambda client: run_guided_test(client, driver))
    except KeyboardInterrupt:
        _fail("interrupted", ExitCode.INTERRUPTED)
    except ObdError as error:
        fail_with("novaevo diagnose", error)
    if save:
        save.write_text(json.dumps(result.snapshot))
    typer.echo(
        f"guided test: {', '.join(result.phases_run) or 'no phase'} in {result.elapsed_s:.0f} s",
        err=True,
    )
    _print(result.diagnosis, lang, as_json)
    if result.stopped_early:
        typer.echo(f"stopped early: {result.stopped_early}", err=True)
        raise typer.Exit(EXIT_CAR_STOPPED)


@app.command("train", epilog=EXIT_CODES_HELP)
def train_command(
    cases: Annotated[
        list[Path] | None, typer.Option("--cases", help="labelled cases (.jsonl), repeatable")
    ] = None,
    generate: Annotated[
        int, typer.Option("--generate", help="generate N cases with the simulator")
    ] = 0,
    first_seed: Annotated[int, typer.Option("--first-seed")] = 0,
    workers: Annotated[int, typer.Option("--workers", help="processes generating cases")] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="artefact path")] = None,
) -> None:
    """Train the shipped ranker (fixed seed) on simulator cases; writes the artefact.

    The same cases give the same artefact, to the byte, whatever the order of the files.
    The shipped one: seeds 0-19,999 (``novaevo sim-cases -n 10000 --seed 0`` and ``--seed
    10000``), each file given with ``--cases`` (BENCHMARKS.md, "Diagnosis")."""
    from diagnostics.model import ARTEFACT
    from diagnostics.training import TrainingError, generate_cases, iter_cases, train_and_save

    if not cases and generate <= 0:
        _fail("give --cases FILE or --generate N (N > 0)", EXIT_USAGE)
    if workers < 1:
        _fail("--workers must be at least 1", EXIT_USAGE)
    try:
        data = (
            (case for path in cases for case in iter_cases(path))
            if cases
            else generate_cases(generate, first_seed, workers)
        )
        report = train_and_save(data, out or ARTEFACT)
    except TrainingError as error:
        _fail(str(error))
    typer.echo(json.dumps(report, indent=2))


@app.command("eval", epilog=EXIT_CODES_HELP)
def eval_command(
    heldout: Annotated[
        list[Path], typer.Option("--heldout", help="held-out cases (.jsonl), repeatable")
    ],
    training: Annotated[
        list[Path], typer.Option("--training", help="the training cases (.jsonl), repeatable")
    ],
    carobd: Annotated[Path | None, typer.Option("--carobd", help="real healthy recordings")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the report as JSON")] = None,
    dev: Annotated[
        bool,
        typer.Option("--dev", help="measure the development split instead (for tuning)"),
    ] = False,
) -> None:
    """Measure the shipped ranker on held-out cases next to the DTC-lookup baseline."""
    from diagnostics.evaluate import EvaluationError, evaluate
    from diagnostics.training import TrainingError, evaluation_seeds, iter_cases

    seeds, name = evaluation_seeds(dev)
    held = (c for path in heldout for c in iter_cases(path) if c.get("seed", -1) in seeds)
    train = (c for path in training for c in iter_cases(path))
    try:
        report = evaluate(held, train, carobd_dir=carobd)
    except TrainingError as error:
        _fail(str(error))
    except EvaluationError:
        _fail(f"no case has a {name} seed ({seeds.start:,} to {seeds.stop - 1:,})")
    text = json.dumps(report, indent=2)
    if out:
        out.write_text(text)
    typer.echo(text)
