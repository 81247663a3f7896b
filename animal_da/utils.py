"""Small helpers shared across the package."""
import ctypes
import importlib.metadata as metadata
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Any, Callable, Dict, Tuple

from packaging.version import Version

#: package -> (lowest allowed, first refused), checked on import.
STACK_RANGES: Dict[str, Tuple[str, str]] = {
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.0.0', '2.2.0'),
    'mmpose': ('1.3.0', '1.4.0'),
    'mmdet': ('3.0.0', '3.4.0'),
}


def check_stack_versions(ranges: Dict[str, Tuple[str, str]] = STACK_RANGES
                         ) -> None:
    """Raise a clear error when a stack package is missing or off its pin.

    Args:
        ranges (dict): Package name to ``(min_inclusive, max_exclusive)``.

    Raises:
        ImportError: Names every wrong package, the version found and the
            range needed, and how to fix it.
    """
    problems = []
    for name, (low, high) in ranges.items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f'{name} is not installed (need >={low},<{high})')
            continue
        if not Version(low) <= Version(found) < Version(high):
            problems.append(f'{name} {found} is installed, but animal_da '
                            f'needs >={low},<{high}')
    if problems:
        raise ImportError('animal_da cannot start: ' + '; '.join(problems) +
                          '. Run `make install` (or see README, "Install").')


def atomic_write(path: str, write: Callable[[str], Any]) -> None:
    """Call ``write(tmp)`` on a temp file beside ``path``, then rename it.

    Readers never see a half-written ``path``; on error the temp file goes.

    Args:
        path (str): Destination file.
        write (Callable[[str], Any]): Writes the content to the given path.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_',
                               suffix=osp.splitext(path)[1])
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def dump_json_atomic(obj: Any, path: str, **kwargs) -> None:
    """Write ``obj`` as JSON to ``path`` atomically.

    Args:
        obj: JSON-serialisable object.
        path (str): Destination file.
        **kwargs: Passed to :func:`json.dump`.
    """

    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            json.dump(obj, f, **kwargs)

    atomic_write(path, write)


#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Let glibc's malloc keep freed memory for reuse instead of giving it
    back to the system after every large free.

    By default glibc serves blocks above a few MB with a fresh ``mmap`` and
    unmaps them when freed, so every training step faults in its activation
    buffers page by page again: measured here, 30,000-75,000 page faults per
    CPU step of the 96-px ResNet-18 recipes, and 3-10 % of a plain step and
    5-7 % of a ScarceNet step (``ms_per_image``, interleaved runs). With
    both thresholds at ``threshold`` (1 GiB), blocks up to that size come
    from the heap, which keeps up to that much free memory for the next
    step (about 600 faults per step); the process holds its peak memory
    instead of returning it between steps. Done only with glibc, and not
    when ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` is set
    (glibc has then applied the user's choice) or
    ``ANIMAL_DA_KEEP_FREED_MEMORY=0``. PyTorch's CPU allocator has no
    caching of its own, hence this.

    Returns:
        bool: Whether the thresholds were set.
    """
    if not sys.platform.startswith('linux') or os.environ.get(
            'ANIMAL_DA_KEEP_FREED_MEMORY') == '0' or any(
            k in os.environ for k in ('MALLOC_MMAP_THRESHOLD_',
                                      'MALLOC_TRIM_THRESHOLD_')):
        return False
    try:  # the process's own symbols: no library search at import
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a libc without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], \
        ctypes.c_int
    value = int(min(threshold, 2**31 - 1))
    return bool(mallopt(_M_TRIM_THRESHOLD, value)) and bool(
        mallopt(_M_MMAP_THRESHOLD, value))
