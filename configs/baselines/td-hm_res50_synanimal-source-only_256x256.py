# Source-only, paper-sized (GPU): trained on the `synthetic` style, tested on
# the `real` style.
_base_ = ['../_base_/td-hm_res50_synanimal_256x256.py']
