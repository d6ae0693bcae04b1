"""Entry point `pulumi preview/up` runs: one stage from stacks/Pulumi.<stack>.yaml."""

from components.program import run

run()
