"""Command-line entry points: the scheduler process and the demo data."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from portal import scheduler

scheduler_cli = AppGroup("scheduler", help="Run the time events (windows, reminders, e-mail).")
demo_cli = AppGroup("demo", help="Demonstration data.")


@scheduler_cli.command("run")
@click.option("--interval", default=60, show_default=True, help="Seconds between runs.")
def scheduler_run(interval):
    """Run the scheduler until stopped. If several run, one leads and the others wait to take over."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler.run_forever(current_app._get_current_object(), interval)


@scheduler_cli.command("once")
def scheduler_once():
    """Do whatever is due now, once, and stop (nothing while a running scheduler leads)."""
    done = scheduler.run_once(current_app._get_current_object())
    if done is None:
        click.echo("Another scheduler is running the time events: nothing done.")
    for line in done or []:
        click.echo(line)


@demo_cli.command("load")
def demo_load():
    """Load the demonstration consortium into an empty database and print the sign-ins."""
    from portal import demo

    with current_app.test_request_context(base_url=current_app.config["PORTAL_BASE_URL"]):
        if not demo.is_empty():
            click.echo("The database already has data: demo data not loaded.")
            return
        sign_ins = demo.load()
    click.echo("Demo data loaded. Sign in at http://127.0.0.1:5000 with any of these "
               f"(password for all: {demo.PASSWORD}):")
    for role, email in sign_ins:
        click.echo(f"  {role:<48} {email}")


def init_app(app) -> None:
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(demo_cli)
