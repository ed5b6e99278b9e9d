"""Evaluators, one module each (the contract is ``nasbench.evaluator.Evaluator``):

- ``tabular``: a benchmark's recorded results (NAS-Bench-201 bundled), looked up in microseconds;
- ``training``: each candidate trained from scratch on a dataset;
- ``supernet``: each candidate scored with the weights it inherits from a trained supernet.

Nothing is imported here, so a process that only looks results up never loads torch.
"""
