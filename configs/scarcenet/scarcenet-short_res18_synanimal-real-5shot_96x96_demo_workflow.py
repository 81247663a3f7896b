# ScarceNet with the short-schedule stage 2 (annealed lr, no strong
# photometric view, no consistency, labelled images oversampled; README), the
# recipe of the scarce-labels benchmark's cpu-small preset. Same stages as the
# paper-recipe workflow beside it:
#   python tools/run_workflow.py configs/scarcenet/scarcenet-short_res18_synanimal-real-5shot_96x96_demo_workflow.py
_base_ = ['./scarcenet_res18_synanimal-real-5shot_96x96_demo_workflow.py']
stages = dict(
    scarcenet=dict(
        config='./scarcenet-short_res18_synanimal-real-5shot_96x96_demo.py'))
