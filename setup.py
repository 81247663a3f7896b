"""Install animal_da.

The OpenMMLab stack (torch, mmcv with ops, mmpose, mmdet) is not listed in
``install_requires``: mmcv must be built from source against the installed torch
and mmpose/mmdet go in with ``--no-deps`` (their declared deps do not install on
Python 3.11 CPU machines). ``make install`` does all of it; see README.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    """Read ``__version__`` from ``animal_da/version.py`` without importing it."""
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'animal_da', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='animal_da',
    version=read_version(),
    description='Domain-adaptive and semi-supervised animal pose estimation '
    'for mmpose (UDA-Animal-Pose, ScarceNet, FreeNet, ASDA, FiDIP)',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    author='animal_da contributors',
    license='Apache License 2.0',
    packages=find_packages(include=['animal_da', 'animal_da.*']),
    python_requires='>=3.9',
    install_requires=[
        'numpy<2',
        'opencv-python<4.11',
        'mmengine>=0.10.0,<0.11',
        'json_tricks',
        'munkres',
        'scipy',
        'xtcocotools',
        'pycocotools',
        'matplotlib',
        'pillow',
        'tqdm',
    ],
    extras_require={'tests': ['pytest']},
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
