# ScarceNet on AP-10K split 1 (25 labelled images per species) at paper
# settings (HRNet-W32, 256x256):
# stage 1 on the labelled images, TTA pseudo labels (5 views) of the rest,
# stage 2, and evaluation of stage 1 and of stage 2's teacher (best weights on
# val, as the paper reports) and student. Needs data/ap10k/ with ScarceNet's
# label_list files.
#   python tools/run_workflow.py configs/scarcenet/scarcenet_hrnet-w32_ap10k-25shot_256x256_workflow.py
# The stages of the 5-shot workflow, with this setting's configs.
_base_ = ['./scarcenet_hrnet-w32_ap10k-5shot_256x256_workflow.py']
stages = dict(
    stage1_train=dict(
        config='./scarcenet-stage1_hrnet-w32_ap10k-25shot_256x256.py'),
    scarcenet=dict(config='./scarcenet_hrnet-w32_ap10k-25shot_256x256.py'))
