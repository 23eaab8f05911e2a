"""Synthetic cases for load tests and benchmarks (`manage.py generate_cases`, scripts/bench.py).

Never imported by anything a request runs: the generator (generator.py) and its word lists (words.py) stay
out of the serving process.
"""
