"""Shared test setup.

No fixture cleans SAGEMAKER_/SM_/INFERLINE_ variables out of the environment: the
suite must be right whatever the developer's shell holds. In-process settings tests
pass their environment explicitly (`Settings.from_env({...})`), test servers are
started with the variables they need, and the harness strips the shell's own from
every container (tests/harness/test_promises.py proves it).
"""
