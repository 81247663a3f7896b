"""Small helpers shared across the package."""
import importlib.metadata as metadata
import json
import os
import os.path as osp
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
