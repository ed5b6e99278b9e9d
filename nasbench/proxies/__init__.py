"""Zero-cost proxies: scores of an untrained network that rank architectures without training them.

Each is computed as its paper's code computes it (the docstring of each function says how):

- data-free, from the input's shape alone: ``synflow`` (Tanaka et al. 2020), ``zen`` (Lin et al. 2021);
- from one batch of the training data: ``nwot`` (Mellor et al. 2021), ``jacov`` (Mellor et al. 2020),
  ``snip`` (Lee et al. 2019), ``grasp`` (Wang et al. 2020), ``grad_norm`` and ``fisher`` (Turner et al.
  2020), as Abdelfattah et al. (2021) compare them.

Plain parameter and multiply-add counts are strong baselines: ``nasbench.evaluators.proxies`` and the
``nasbench proxies`` command report them beside every proxy. ``nb201_table`` holds the data-free
proxies of every NAS-Bench-201 cell, shipped with the package.
"""

from nasbench.proxies.activations import jacov, nwot, zen
from nasbench.proxies.base import Batch, Proxy, Undefined
from nasbench.proxies.nb201 import nb201_table
from nasbench.proxies.saliency import fisher, grad_norm, grasp, snip, synflow

#: every proxy by name, with the batch it reads (Abdelfattah et al.: 64 images; NASWOT: 128)
PROXIES: dict[str, Proxy] = {
    proxy.name: proxy
    for proxy in (
        Proxy("synflow", synflow, True, "Tanaka et al., NeurIPS 2020", batch_size=1),
        Proxy("zen", zen, True, "Lin et al., ICCV 2021", batch_size=16),  # Zen-NAS's default batch
        Proxy("nwot", nwot, False, "Mellor et al., ICML 2021", batch_size=128),
        Proxy("jacov", jacov, False, "Mellor et al. 2020", batch_size=64),
        Proxy("snip", snip, False, "Lee et al., ICLR 2019", batch_size=64),
        Proxy("grasp", grasp, False, "Wang et al., ICLR 2020", batch_size=64),
        Proxy("grad_norm", grad_norm, False, "Abdelfattah et al., ICLR 2021", batch_size=64),
        Proxy("fisher", fisher, False, "Turner et al., ICLR 2020", batch_size=64),
    )
}
DATA_FREE = tuple(name for name, proxy in PROXIES.items() if proxy.data_free)

__all__ = ["DATA_FREE", "PROXIES", "Batch", "Proxy", "Undefined", "nb201_table"]
