# Source-only baseline: trained on the clean `synthetic` style (source_train),
# validated and tested on the `real` style (target_val / target_test).
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']
