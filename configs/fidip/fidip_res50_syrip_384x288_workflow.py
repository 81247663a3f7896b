# FiDIP on SyRIP (infants, paper setting): fine-tune a COCO-pretrained
# ResNet-50 SimpleBaseline on SyRIP's synthetic + real infants after
# discriminator pre-training, then evaluate the best weights on SyRIP's real
# validation images. Set the starting checkpoint (a COCO model from mmpose's
# model zoo, downloaded by you):
#   python tools/run_workflow.py configs/fidip/fidip_res50_syrip_384x288_workflow.py \
#       --cfg-options init_checkpoint=checkpoints/res50_coco_384x288.pth
seed = 0
stages = dict(
    fidip=dict(kind='train', config='./fidip_res50_syrip_384x288.py'),
    fidip_export=dict(kind='export', model='@fidip', checkpoint='best'),
    eval_fidip=dict(kind='evaluate', model='@fidip', checkpoint='best',
                    method='fidip'),
)
