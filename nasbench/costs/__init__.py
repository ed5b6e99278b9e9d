"""Costs of networks, one concern per module:

- ``counting``: parameters and multiply-adds of a built network (fvcore);
- ``latency``: measured latency of a built network;
- ``latency_model``, ``calibration``, ``latency_validation``: latency predicted from a space's units, timed
  once per device (``nasbench latency``);
- ``cost_model``: the costs of a space's architectures, cached by hash (``costs.json`` of a run);
- ``constraints``: hard cost bounds, enforced while sampling and mutating;
- ``nb201_cells``: parameters and multiply-adds of all 15,625 NAS-Bench-201 cells from 25 counts.
"""
