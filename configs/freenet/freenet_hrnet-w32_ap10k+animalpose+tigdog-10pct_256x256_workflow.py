# FreeNet setting (d), AP-10K + AnimalPose + TigDog, 10 % labelled (METHODS.md 3):
#   python tools/run_workflow.py configs/freenet/freenet_hrnet-w32_ap10k+animalpose+tigdog-10pct_256x256_workflow.py
# The stages of the level-0 workflow, with this setting's configs.
_base_ = ['./freenet_hrnet-w32_ap10k-split-level0_256x256_workflow.py']
selection_metric = 'all/coco/AP'
stages = dict(
    base_train=dict(config='./td-hm_hrnet-w32_ap10k+animalpose+tigdog-10pct_256x256.py'),
    freenet=dict(config='./freenet_hrnet-w32_ap10k+animalpose+tigdog-10pct_256x256.py'))
