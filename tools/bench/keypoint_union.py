"""Keypoint-union benchmark: sources with different keypoint sets merged
into one 24-joint union, naive merge vs FreeNet.

The data is the generator's keypoint-set layout (``data/synanimal_union``):
an AP-10K-style file (17 joints), an AnimalPose-style file (20) and a
TigDog-style file (19), 10 % of each source's annotations labelled (the rest
unlabelled), and ``union_val`` / ``union_test`` splits annotated on all 24
joints. Rows, every one through the FreeNet demo workflow
(``configs/freenet/*_demo_workflow.py``, one per seed, in
``WORK/keypoint_union_<preset>/seed<N>/``): each source alone (its labelled
10 %, unannotated joints masked), the naive merge (FreeNet's base network),
the naive merge trained on for as many iterations as FreeNet's stage (the
control), and FreeNet's student (the evaluated model) and teacher. AP and
PCK@0.05 on all, shared and exclusive joints (and each source's joints) of
``union_test``, training images/s of every row. Nothing is selected on the
test split (final weights everywhere): FreeNet's setting is the preset's
``freenet_trial`` (a key of TRIALS), chosen on ``union_val`` by
``keypoint_union_val.py``. Prints a table and one JSON line, also written
to ``docs/benchmarks/keypoint_union_<preset>.json`` (another trial than the
preset's: ``..._<preset>_<trial>.json``). Finished stages are kept, so an
interrupted benchmark resumes, and each finished seed leaves a record in
``docs/benchmarks/runs/`` that stands in for its run under the same
settings (``--fresh`` ignores it).

``--test-seed N`` evaluates the same trained models on a fresh
``union_test`` drawn by the generator with seed ``N`` (new images, the
same distribution, in ``<data>_test_seed<N>``; nothing is retrained): a
test split that no earlier choice has seen, for a setting chosen after
``union_test`` had been looked at. Its JSON and records carry the suffix
``_test-seed<N>``; the seed's work dir then holds these evaluations (a
later run without the option evaluates on ``union_test`` again).

Example:
    python tools/bench/keypoint_union.py --preset cpu-small
    python tools/bench/keypoint_union.py --rows naive_merge \
        naive_merge_longer freenet
    python tools/bench/keypoint_union.py --preset cpu-converged \
        --freenet-trial quarter_pw7_x10 --test-seed 1
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (RECORDS, REPO, SMOKE_LOADERS,  # noqa: E402
                     collect_rows, evaluated_methods, machine,
                     run_seed_cached)

from animal_da.apis.workflow import subset_stages  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

WORKFLOW = ('configs/freenet/'
            'freenet_res18_synanimal-union-10pct_96x96_demo_workflow.py')
SOURCES = ('ap10k', 'animalpose', 'tigdog')
PRESETS: Dict[str, dict] = {
    # the half-width ResNet-18 of the performance issue's converging regime;
    # naive_epochs: the naive merge trained to the end of its cosine
    # schedule (on union_val its AP still rose at 60 epochs: 3.3 -> 12.9 at
    # 100 -> 18.9 at 175 of a 300-epoch run, docs/benchmarks/
    # keypoint_union_naive_curve.json); longer_epochs: the naive merge's
    # epochs with as many iterations as FreeNet's stage (its epoch is
    # 8 ceil(unlabelled / 7) instances = 58 iterations, the naive merge's
    # the labelled 10 % = 6 iterations)
    # freenet_trial: a key of TRIALS, the FreeNet setting the benchmark runs
    # (cpu-small: chosen on union_val, docs/benchmarks/
    # keypoint_union_val_cpu-small_2026-12-03-morning.json, by 0.1 AP over
    # labelled_1to1, and still the best of its variants on another naive
    # merge, keypoint_union_val_cpu-small.json; labelled_1to1's union_test
    # run is keypoint_union_cpu-small_labelled_1to1.json;
    # the runs on 150-image splits, the paper setting's among them:
    # keypoint_union_*_150eval*.json)
    # eval_images: union_val and union_test sizes (150 each by default, the
    # quarter of num_images, left the exclusive-joint AP noisy: the val
    # choice's +1.4 reversed on the test split,
    # keypoint_union_cpu-small_150eval.json)
    'cpu-small': dict(num_images=600, eval_images=600, naive_epochs=300,
                      freenet_epochs=6,
                      longer_epochs=58, batch_size=32, width=0.5,
                      seeds=[0, 1], options={},
                      freenet_trial='labelled_1to1_quarter'),
    # cpu-small with the naive merge trained four times as long (one
    # cosine schedule of 1,200 epochs): at 300 epochs more supervised
    # training still gains about 3 AP (the --budget 3 and --from-control 3
    # runs of keypoint_union_val.py), so FreeNet's comparison with its
    # as-long control is made from a base that has not converged;
    # freenet_trial chosen on union_val from this base (docs/benchmarks/
    # keypoint_union_val_cpu-converged.json: the student's exclusive AP
    # 25.6 at lr 1e-4 against 24.7 at the paper's 1e-3; union_test at 1e-3:
    # keypoint_union_cpu-converged_labelled_1to1_quarter.json)
    'cpu-converged': dict(num_images=600, eval_images=600,
                          naive_epochs=1200, freenet_epochs=6,
                          longer_epochs=58, batch_size=32, width=0.5,
                          seeds=[0, 1], options={},
                          freenet_trial='labelled_1to1_quarter_lr1e-4'),
    # a minutes-long check that every row runs (figures meaningless)
    'smoke': dict(num_images=32, naive_epochs=1, freenet_epochs=1,
                  longer_epochs=1, batch_size=8, width=0.5, seeds=[0],
                  freenet_trial='paper',
                  options=dict(SMOKE_LOADERS)),
    # paper-sized (a CUDA machine): FreeNet's model of setting (d) (HRNet-
    # W32, 256x256 in, 64x64 heatmaps, AMP; no ImageNet weights) on 5,000
    # generated images a source; the naive merge on mmpose's HRNet schedule
    # (210 epochs of the 1,500 labelled instances, 24 iterations of 64),
    # FreeNet 20 epochs of 241 iterations (a tenth of FreeNet's 45,000), the
    # control 200 epochs (as many iterations)
    'gpu': dict(num_images=5000, naive_epochs=210, freenet_epochs=20,
                longer_epochs=200, batch_size=64, width=1.0,
                seeds=[0, 1, 2], freenet_trial='paper',
                configs=dict(
                    naive_merge='td-hm_hrnet-w32_synanimal-union-'
                    '10pct_256x256.py',
                    freenet='freenet_hrnet-w32_synanimal-union-10pct_'
                    '256x256.py',
                    source_only='td-hm_hrnet-w32_synanimal-union-{src}-'
                    'only-10pct_256x256.py'),
                options={'train_dataloader.num_workers': 8,
                         'val_dataloader.num_workers': 4,
                         'test_dataloader.num_workers': 4}),
}
#: each source alone (in configs/freenet/) where a preset names no
#: ``configs`` (the others then come from WORKFLOW)
DEMO_SOURCE_ONLY = ('td-hm_res18_synanimal-union-{src}-only-10pct_96x96_'
                    'demo.py')
HOOK = 'custom_hooks[ScheduledValuesHook].values'
#: FreeNet's weak augmentation of the aug view
AUG = ('train_dataloader.dataset.pipeline[SharedMultiBranch].aug'
       '[RandWeakAugment]')
#: every source dataset of FreeNet's training set
SOURCES_KEY = 'train_dataloader.dataset.datasets[SemiPoseDataset]'
#: pseudo labels a quarter pixel from the teacher's argmax
LOCATE_QUARTER = {'model.semi_train_cfg.pl_locate': 'quarter'}
#: the val choice's options (``labelled_1to1_quarter``), which its variants
#: extend
QUARTER = dict(LOCATE_QUARTER, **{'train_dataloader.sampler.ratio': (1, 1)})
#: the student at lr 1e-4 (a tenth of the paper's; compared with a control
#: at that lr, TRIAL_CONTROLS)
LR_1E4 = {'optim_wrapper.student.optimizer.lr': 1e-4}
#: the pseudo-label term weighted 7: at 7:1 batches every instance weighs
#: alike
PW7 = {'model.semi_train_cfg.pseudo_weight': 7.0}
#: no weak augmentation (the aug view is the ori view)
AUG_N0 = {f'{AUG}.n': 0}
#: a diagnostic: the student's pseudo labels replaced by the unlabelled
#: instances' annotations (FreeNet's ``pl_source``)
ANNOTATIONS = {'model.semi_train_cfg.pl_source': 'annotations',
               f'{SOURCES_KEY}.unlabelled_annotations': True}
#: trial -> (FreeNet epochs relative to the preset's, options over the
#: FreeNet stage: config keys, or STAGE_KEYS); the sampler's epoch is
#: sum(ratio) x max(ceil(U / r_u), ceil(L / r_l)) instances (U = 1,620
#: unlabelled, L = 180 labelled): 58 iterations at 7:1, 67.5 at 3:1, 101 at
#: 1:1 (batches of 32), so epochs are scaled to keep about the paper
#: setting's 348 iterations
TRIALS: Dict[str, tuple] = {
    # the demo's settings (METHODS.md 3 values)
    'paper': (1.0, {}),
    # 8 labelled instances per batch of 32 instead of 4
    'labelled_3to1': (5 / 6, {'train_dataloader.sampler.ratio': (3, 1)}),
    # 16 labelled per batch
    'labelled_1to1': (0.5, {'train_dataloader.sampler.ratio': (1, 1)}),
    # the student's lr a tenth of the paper's (it starts converged here)
    'student_lr_1e-4': (1.0, {'optim_wrapper.student.optimizer.lr': 1e-4}),
    # no feedback term (the teacher then only learns from its own labels)
    'no_feedback': (1.0, {f'{HOOK}.feedback_weight.end_value': 0.0}),
    # BN running statistics kept from the naive merge (both networks): in
    # train mode they would follow batches of RandWeakAugment views
    # (inverted, equalised, cut-out images) and 4-image labelled passes
    'bn_frozen': (1.0, {'model.pose_estimator.backbone.norm_eval': True}),
    # the two above together
    'labelled_1to1_bn_frozen': (0.5, {
        'train_dataloader.sampler.ratio': (1, 1),
        'model.pose_estimator.backbone.norm_eval': True}),
    # pseudo labels a quarter pixel from the teacher's argmax (mmpose's
    # decode) instead of on it: at 24x24 heatmaps the integer argmax is up
    # to 2 input pixels off, which AP's OKS counts and PCK@0.05 hardly
    'labelled_1to1_quarter': (0.5, QUARTER),
    'labelled_1to1_lr_1e-4': (0.5, {
        'train_dataloader.sampler.ratio': (1, 1),
        'optim_wrapper.student.optimizer.lr': 1e-4}),
    # the val choice above without the feedback term (what it contributes)
    'labelled_1to1_quarter_no_feedback': (0.5, dict(QUARTER, **{
        f'{HOOK}.feedback_weight.end_value': 0.0})),
    # exclusive joints' pseudo labels kept at 30 % instead of 65 % (the
    # teacher is weakest on them: union_val AP 15 vs 28 on shared joints)
    'labelled_1to1_quarter_excl30': (0.5, dict(QUARTER, **{
        f'{HOOK}.keep_ratio_exclusive.min': 0.3})),
    # the base network's lr 1e-4 instead of 1e-5: at 1e-5 it hardly moves
    # in ~300 iterations, so its pseudo labels stay the naive merge's
    'labelled_1to1_quarter_teacher_lr1e-4': (0.5, dict(QUARTER, **{
        'optim_wrapper.teacher.optimizer.lr': 1e-4})),
    # batches of 64 (32 labelled + 32 unlabelled): as many labelled
    # instances per iteration as the as-long control, the pseudo-labelled
    # half on top (twice the compute per iteration; half the iterations
    # per epoch, so the epochs of labelled_1to1_quarter)
    'labelled_1to1_quarter_b64': (1.0, dict(QUARTER, batch_size=64)),
    # pseudo labels from the base network in eval mode with mmpose's flip
    # test (as it predicts at evaluation), not from its train-mode forward
    # (freenet_pseudo_labels.py --labeller measures both)
    'labelled_1to1_quarter_eval_flip': (0.5, dict(QUARTER, **{
        'model.semi_train_cfg.pl_teacher': 'eval_flip'})),
    # a diagnostic, not a FreeNet setting: the val choice with the student's
    # pseudo-label term weighted 0 (what the pseudo labels add to the
    # student's own labelled term, same optimiser and batches)
    'labelled_1to1_quarter_no_pseudo': (0.5, dict(QUARTER, **{
        'model.semi_train_cfg.pseudo_weight': 0.0})),
    # every joint weighted 1 (the naive merge's loss) instead of FreeNet's
    # kps_weights (knees 1.2, paws 1.5, the rest 1: the exclusive joints
    # weigh less against the limbs than in the naive merge)
    'labelled_1to1_quarter_uniform_kps': (0.5, dict(QUARTER, **{
        'model.semi_train_cfg.kps_weights': [1.0] * 24})),
    # RandWeakAugment's Solarize at threshold 128 instead of FreeNet's
    # effective invert (about 9 % of aug views inverted whole at n 2, m 10)
    'labelled_1to1_quarter_no_invert': (0.5, dict(QUARTER, **{
        f'{AUG}.solarize_inverts': False})),
    # no weak augmentation (n 0: the aug view is the ori view), so the
    # student learns on the views the teacher labels
    'labelled_1to1_quarter_aug_n0': (0.5, dict(QUARTER, **{f'{AUG}.n': 0})),
    # the student at lr 1e-4, a tenth of the paper's: from a converged base
    # (cpu-converged) the paper's restart at 1e-3 costs AP before it gains
    # (the control's restart at 1e-3 loses 0.6-0.9 on union_val); compared
    # with a control at the same lr (TRIAL_CONTROLS)
    'labelled_1to1_quarter_lr1e-4': (0.5, dict(QUARTER, **LR_1E4)),
    # diagnostics, not FreeNet settings: the trial above with the student's
    # pseudo labels replaced by the unlabelled instances' annotations, on
    # every annotated joint or on those the part filter keeps (the same
    # step and batches): does FreeNet's step reach the labelled-data
    # ceiling (all_labelled_lr1e-4) with perfect labels, so that only the
    # pseudo labels' quality stands between them?
    'labelled_1to1_quarter_lr1e-4_annotations': (0.5, dict(
        QUARTER, **LR_1E4, **ANNOTATIONS)),
    'labelled_1to1_quarter_lr1e-4_annotations_filtered': (0.5, dict(
        QUARTER, **LR_1E4, **dict(ANNOTATIONS, **{
            'model.semi_train_cfg.pl_source': 'annotations_filtered'}))),
    # FreeNet's own 1 labelled : 7 unlabelled batches at lr 1e-4 (the 1:1
    # of the trials above was chosen at cpu-small, from the 300-epoch
    # base), with pseudo labels and, a diagnostic, with the annotations:
    # the all-labelled ceiling samples its batches from the whole training
    # set, and a 1:1 batch draws half of it from the labelled 10 %
    'labelled_7to1_quarter_lr1e-4': (1.0, dict(LOCATE_QUARTER, **LR_1E4)),
    'labelled_7to1_quarter_lr1e-4_annotations': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **ANNOTATIONS)),
    # 7:1 batches with every instance weighted alike (the pseudo-label
    # term's mean over 28 instances weighted 7, as the labelled term's over
    # 4 is 1): at weight 1 the 4 labelled instances, which the converged
    # base already fits, carry half the student's gradient, against a
    # tenth in the all-labelled ceiling's batches
    'labelled_7to1_quarter_lr1e-4_pw7': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **PW7)),
    'labelled_7to1_quarter_lr1e-4_annotations_pw7': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **PW7, **ANNOTATIONS)),
    # the annotations diagnostic without the weak augmentation (the student
    # learns on the ori views, as the ceiling does)
    'labelled_1to1_quarter_lr1e-4_annotations_aug_n0': (0.5, dict(
        QUARTER, **LR_1E4, **ANNOTATIONS, **AUG_N0)),
    # the same with the student's pseudo labels (a FreeNet setting)
    'labelled_1to1_quarter_lr1e-4_aug_n0': (0.5, dict(
        QUARTER, **LR_1E4, **AUG_N0)),
    # 7:1, every instance weighted alike, no weak augmentation: the step
    # that reaches the ceiling with annotations (below), on pseudo labels
    'labelled_7to1_quarter_lr1e-4_pw7_aug_n0': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **PW7, **AUG_N0)),
    # that step with pseudo labels from the base network in eval mode with
    # flip test (better labels than its own single train-mode view, so the
    # student has something to learn that it does not predict already)
    'labelled_7to1_quarter_lr1e-4_pw7_aug_n0_eval_flip': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **PW7, **AUG_N0,
        **{'model.semi_train_cfg.pl_teacher': 'eval_flip'})),
    # the diagnostic closest to the all-labelled ceiling's batches: 7:1,
    # every instance weighted alike, no weak augmentation, annotations
    'labelled_7to1_quarter_lr1e-4_annotations_pw7_aug_n0': (1.0, dict(
        LOCATE_QUARTER, **LR_1E4, **PW7, **AUG_N0, **ANNOTATIONS)),
    # FreeNet's adaptation network initialised as the paper does, not from
    # the base network (student_init='own': FreeNet's is ImageNet
    # HRNet-W32, here the pose estimator's random initialisation, where the
    # naive merge starts too), at the paper's 7:1 batches and student lr
    # 1e-3, pseudo labels a quarter pixel from the argmax. Every trial
    # above starts the student as the teacher (the CPU demos'
    # student_init='both'), so it is trained on labels it already
    # predicts; this student is not. It learns from scratch, so it trains
    # ten times as long as the other trials (60 epochs, 3,480 iterations,
    # about half the naive merge's 7,200 at cpu-converged) beside a control
    # as long (TRIAL_CONTROLS)
    'fresh_student_quarter': (10.0, dict(LOCATE_QUARTER, **{
        'model.semi_train_cfg.student_init': 'own'})),
    # a diagnostic: the fresh student on the unlabelled instances'
    # annotations instead of pseudo labels (ANNOTATIONS), as long; with
    # every instance labelled the naive merge gains 12 AP (NAIVE_VARIANTS
    # all_labelled): how much of that FreeNet's step keeps from scratch
    'fresh_student_quarter_annotations': (10.0, dict(
        LOCATE_QUARTER, **ANNOTATIONS,
        **{'model.semi_train_cfg.student_init': 'own'})),
    # the paper's step (7:1 batches, student lr 1e-3, weak augmentation)
    # with pseudo labels a quarter pixel from the argmax and every
    # instance weighted alike (PW7), the student starting as the teacher;
    # meant for ``--budget 3`` or ``10``: from the naive merge, ten times
    # FreeNet's stage with every instance labelled reaches the
    # all-labelled naive merge (CONTROL_VARIANTS all_labelled_x10), so at
    # that length the pseudo labels' quality, not the budget, sets what
    # the student gains
    'quarter_pw7': (1.0, dict(LOCATE_QUARTER, **PW7)),
}
# the trial above three and ten times as long as trials of their own
# (their controls as long, TRIAL_CONTROLS), so that keypoint_union.py
# --freenet-trial can run them; on union_val ``quarter_pw7_xK`` is
# ``quarter_pw7 --budget K`` (the same stages and row names)
TRIALS.update({f'quarter_pw7_x{k}': (float(k), TRIALS['quarter_pw7'][1])
               for k in (3, 10)})
# quarter_pw7_x3 with the base network (teacher) at lr 1e-4 instead of 1e-5:
# at 1e-5 it ends below its start while the student gains 2 AP, so its
# pseudo labels trail the student; does a teacher that moves with the
# feedback term keep them ahead? (compared with the same x3 control)
TRIALS['quarter_pw7_x3_teacher_lr1e-4'] = (3.0, dict(
    TRIALS['quarter_pw7'][1], **{'optim_wrapper.teacher.optimizer.lr': 1e-4}))
# quarter_pw7_x3 with pseudo labels from the base network in eval mode with
# flip test (two more no-grad forwards of the unlabelled ori views): its
# best predictions, as evaluation makes them, rather than one train-mode
# view; on union_test seed 0 the train-mode labels' student lost 0.9
# exclusive AP (compared with the same x3 control)
TRIALS['quarter_pw7_x3_eval_flip'] = (3.0, dict(
    TRIALS['quarter_pw7'][1],
    **{'model.semi_train_cfg.pl_teacher': 'eval_flip'}))
# quarter_pw7_x3 with the quantile filter's groups split by the sources that
# annotate their joints (part_groups='by_source'): on union_test the student
# lost exclusive AP on TigDog's chin and shoulders (-1.2 / -0.1) while
# gaining on AnimalPose's joints; in FreeNet's exclusive group they share
# one per-batch quantile with the better-learnt neck, throat and withers
TRIALS['quarter_pw7_x3_by_source'] = (3.0, dict(
    TRIALS['quarter_pw7'][1],
    **{'model.semi_train_cfg.part_groups': 'by_source'}))
# quarter_pw7_x3 with the FreeNet stage's own seed moved (the workflow
# seed plus 1000; the naive merge it starts from is the same): how much do
# two FreeNet stages from one naive merge differ, apart from the naive
# merge's own training noise?
TRIALS['quarter_pw7_x3_stage_seed'] = (3.0, dict(
    TRIALS['quarter_pw7'][1], seed_offset=1000))
#: control variants: options over the control stage (``naive_merge_longer``)
#: for trials whose setting the control must share to stay a fair one, and
#: diagnostic rows (``keypoint_union_val.py --controls``); ``epochs_scale``
#: (not a config key) scales the stage's epochs
CONTROL_VARIANTS: Dict[str, dict] = {
    'lr1e-4': {'optim_wrapper.optimizer.lr': 1e-4},
    # a diagnostic ceiling, not FreeNet's control: the control at lr 1e-4
    # with every training instance labelled by its own source (the 90 %
    # that FreeNet pseudo-labels get their annotations, the joints their
    # source lacks stay masked), as many iterations as FreeNet's stage (ten
    # times the instances an epoch, so a tenth of the epochs): what labels
    # as good as the annotations could give in FreeNet's budget
    'all_labelled_lr1e-4': {'optim_wrapper.optimizer.lr': 1e-4,
                            'labelled.ratio': 1.0, 'epochs_scale': 0.1},
    # the same diagnostic at the naive merge's lr (1e-3, a new cosine
    # cycle) and as long as the ten-times trials (fresh_student_*): as
    # many epochs as the control, each of ten times the instances; does
    # training on from the naive merge reach the all-labelled naive
    # merge's AP (NAIVE_VARIANTS) in that budget?
    'all_labelled_x10': {'labelled.ratio': 1.0},
}
#: naive-merge variants: options over the naive merge's own stage (from
#: the same initialisation, not from the naive merge), diagnostic rows
#: ``naive_merge_<V>`` of ``keypoint_union_val.py --naive-variants``;
#: ``epochs_scale`` as in CONTROL_VARIANTS
NAIVE_VARIANTS: Dict[str, dict] = {
    # a diagnostic ceiling: the naive merge trained with every training
    # instance labelled by its own source (the joints its source lacks
    # stay masked) on as many instances as the naive merge (ten times the
    # instances an epoch, a tenth of the epochs): does the labelled
    # fraction limit the naive merge, i.e. is there room for what the
    # unlabelled 90 % can add?
    'all_labelled': {'labelled.ratio': 1.0, 'epochs_scale': 0.1},
}
#: trial -> the control variant it is compared with (others: the control)
TRIAL_CONTROLS: Dict[str, str] = {
    t: 'lr1e-4' for t, (_, opts) in TRIALS.items()
    if opts.get('optim_wrapper.student.optimizer.lr') == 1e-4}
# a trial K times as long as the others (a TRIALS scale K above 1) is
# compared with the control trained K times as long (variant ``xK``)
CONTROL_VARIANTS.update({f'x{s:g}': {'epochs_scale': s}
                         for s, _ in TRIALS.values() if s > 1})
TRIAL_CONTROLS.update({t: f'x{s:g}' for t, (s, _) in TRIALS.items()
                       if s > 1})
#: trial options that are settings of the workflow stage, not config keys
STAGE_KEYS = ('batch_size', 'seed_offset')
#: the rows' headline comparisons: FreeNet's student against these rows
CONTROLS = ('naive_merge', 'naive_merge_longer')
#: rows -> the evaluate stages that give them (``--rows``)
ROWS = dict({f'{src}_only': [f'eval_{src}_only'] for src in SOURCES},
            naive_merge=['eval_naive_merge'],
            naive_merge_longer=['eval_naive_merge_longer'],
            freenet=['eval_freenet', 'eval_freenet_teacher'])
#: metric keys of the table (all, shared and exclusive joints)
COLUMNS = ('ap', 'ap_shared', 'ap_exclusive', 'pck_bbox',
           'pck_bbox_shared', 'pck_bbox_exclusive')


def ensure_union_data(preset: dict, data: str) -> dict:
    """Generate the preset's keypoint-set data in ``data`` unless it is
    there; its ``meta.json`` content."""
    n = preset.get('eval_images')
    return ensure_dataset(data, preset['num_images'], seed=0, nproc=2,
                          layout='keypoint_sets', show_progress=False,
                          split_sizes=None if n is None else dict(
                              union_val=n, union_test=n))


def ensure_test_data(preset: dict, data: str,
                     seed: int) -> Tuple[str, dict]:
    """Generate a fresh ``union_test`` alone, drawn with generator seed
    ``seed`` (the training data uses seed 0), in ``<data>_test_seed<N>``
    unless it is there; ``(folder, its meta.json content)``."""
    if seed == 0:
        raise ValueError('--test-seed 0 is the benchmark\'s own union_test; '
                         'give another generator seed')
    folder = f'{data.rstrip("/")}_test_seed{seed}'
    n = preset.get('eval_images')
    meta = ensure_dataset(folder, preset['num_images'], seed=seed, nproc=2,
                          layout='keypoint_sets', show_progress=False,
                          splits=['union_test'],
                          split_sizes=None if n is None else dict(
                              union_test=n))
    return folder, meta


def on_test_data(wf: Config, folder: str) -> Config:
    """``wf`` with every evaluate stage reading ``union_test`` from
    ``folder`` (train stages, and their cached results, unchanged)."""
    stages = wf.stages.to_dict()
    for st in stages.values():
        if st['kind'] == 'evaluate':
            st['cfg_options'] = dict(
                st.get('cfg_options') or {},
                **{'test_dataloader.dataset.data_root': folder})
    return Config(dict(wf.to_dict(), stages=stages))


def trial_stage(stage: dict, preset: dict, trial: str,
                seed: Optional[int] = None) -> dict:
    """The FreeNet train ``stage`` with the trial's epochs and options
    (a ``seed_offset`` makes the stage's seed the workflow ``seed`` plus
    it)."""
    scale, opts = TRIALS[trial]
    stage = dict(stage, epochs=max(1, round(preset['freenet_epochs'] *
                                            scale)))
    opts = dict(opts)
    offset = opts.pop('seed_offset', None)
    if offset is not None:
        if seed is None:
            raise ValueError(f'trial {trial!r} sets seed_offset: give the '
                             'workflow seed')
        stage['seed'] = int(seed) + int(offset)
    stage.update({k: v for k, v in opts.items() if k in STAGE_KEYS})
    cfg_opts = {k: v for k, v in opts.items() if k not in STAGE_KEYS}
    if cfg_opts:
        stage['cfg_options'] = dict(stage.get('cfg_options') or {},
                                    **cfg_opts)
    return stage


def union_workflow(preset: dict, data: str, seed: int,
                   rows: Optional[List[str]] = None) -> Config:
    """The FreeNet workflow sized by the preset (its FreeNet stage with
    the preset's ``freenet_trial``), plus one train and one evaluate stage
    per source alone; only what ``rows`` (keys of ROWS) need if given."""
    cfg = Config.fromfile(osp.join(REPO, WORKFLOW))
    folder = osp.dirname(osp.join(REPO, WORKFLOW))
    stages = cfg.stages.to_dict()
    for st in stages.values():
        if 'config' in st:
            st['config'] = osp.normpath(osp.join(folder, st['config']))
    configs = preset.get('configs', {})
    for name, key in (('naive_merge', 'naive_merge'),
                      ('naive_merge_longer', 'naive_merge'),
                      ('freenet', 'freenet')):
        if key in configs:
            stages[name]['config'] = osp.join(folder, configs[key])
    stages['naive_merge']['epochs'] = preset['naive_epochs']
    stages['naive_merge_longer']['epochs'] = preset['longer_epochs']
    stages['freenet'] = trial_stage(stages['freenet'], preset,
                                    preset['freenet_trial'], seed)
    for src in SOURCES:
        stages[f'{src}_only'] = dict(
            kind='train', validate=False, epochs=preset['naive_epochs'],
            config=osp.join(folder, configs.get(
                'source_only', DEMO_SOURCE_ONLY).format(src=src)))
        stages[f'eval_{src}_only'] = dict(kind='evaluate',
                                          model=f'@{src}_only',
                                          method=f'{src}_only')
    if preset['options']:
        for st in stages.values():
            if st['kind'] in ('train', 'evaluate'):
                st['cfg_options'] = dict(st.get('cfg_options') or {},
                                         **preset['options'])
    keys = dict(data_root=data, seed=seed, batch_size=preset['batch_size'],
                selection_metric=cfg.get('selection_metric'))
    if preset['width'] != 1.0:
        keys['width'] = preset['width']
    wanted = {r: list(ROWS[r]) for r in (rows or ROWS)}
    ctrl = variant_control(preset['freenet_trial'])
    if ctrl:
        # the trial's own control (TRIAL_CONTROLS) beside the usual one
        stages[ctrl] = control_variant_stage(
            stages['naive_merge_longer'],
            TRIAL_CONTROLS[preset['freenet_trial']])
        stages[f'eval_{ctrl}'] = dict(stages['eval_naive_merge_longer'],
                                      model=f'@{ctrl}', method=ctrl)
        if 'naive_merge_longer' in wanted:
            wanted['naive_merge_longer'].append(f'eval_{ctrl}')
    if rows is not None:
        stages = subset_stages(stages, [s for r in rows for s in wanted[r]])
    return Config(dict(keys, stages=stages))


def control_variant_stage(stage: dict, variant: str) -> dict:
    """The control train ``stage`` with a CONTROL_VARIANTS entry's options
    (and its ``epochs_scale``)."""
    return variant_stage(stage, CONTROL_VARIANTS[variant])


def variant_stage(stage: dict, options: dict) -> dict:
    """The train ``stage`` with a variant's config ``options`` (its
    ``epochs_scale`` scales the stage's epochs)."""
    opts = dict(options)
    scale = opts.pop('epochs_scale', 1.0)
    return dict(stage, epochs=max(1, round(stage['epochs'] * scale)),
                cfg_options=dict(stage.get('cfg_options') or {}, **opts))


def control_row(variant: str) -> str:
    """The row (and stage) name of a CONTROL_VARIANTS entry."""
    return f'naive_merge_longer_{variant}'


def variant_control(trial: str) -> Optional[str]:
    """The row of the control that shares ``trial``'s setting
    (TRIAL_CONTROLS), or None where the usual control is its own."""
    v = TRIAL_CONTROLS.get(trial)
    return None if v is None else control_row(v)


def union_table(rows: List[dict]) -> str:
    """Markdown table: AP and PCK on all, shared and exclusive joints."""
    head = ('| method | seeds | AP all | AP shared | AP exclusive | '
            'PCK all | PCK shared | PCK exclusive | train img/s |')
    lines = [head, '|---' * 9 + '|']
    for r in rows:
        cells = [f'{r[k]["mean"]:.1f} ± {r[k]["std"]:.1f}' if k in r
                 else '' for k in COLUMNS]
        lines.append(f'| {r["method"]} | {len(r["seeds"])} | ' +
                     ' | '.join(cells) +
                     f' | {r.get("train_images_per_s", "")} |')
    return '\n'.join(lines)


def gains(by: Dict[str, dict]) -> dict:
    """FreeNet's student minus each control, per column, with the larger of
    the two rows' seed spreads."""
    out = {}
    fn = by.get('freenet_student')
    for ctrl in CONTROLS + tuple(
            control_row(v) for v in CONTROL_VARIANTS):
        if fn is None or ctrl not in by:
            continue
        out[ctrl] = {k: dict(gain=round(fn[k]['mean'] - by[ctrl][k]['mean'],
                                        2),
                             spread=max(fn[k]['std'], by[ctrl][k]['std']))
                     for k in COLUMNS if k in fn and k in by[ctrl]}
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--data', default='data/synanimal_union')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out')
    parser.add_argument('--note', help='a remark stored in the JSON (e.g. '
                        'that another job shared the cores)')
    parser.add_argument('--freenet-trial', choices=sorted(TRIALS),
                        help='the FreeNet setting (default: the preset\'s; '
                        'choose one on union_val with keypoint_union_val.py)')
    parser.add_argument('--rows', nargs='+', choices=sorted(ROWS),
                        default=list(ROWS), help='rows to run (default: all)')
    parser.add_argument('--fresh', action='store_true',
                        help='run seeds again even where docs/benchmarks/'
                        'runs/ holds their record under the same settings')
    parser.add_argument('--test-seed', type=int,
                        help='evaluate on a fresh union_test drawn with '
                        'this generator seed (not 0) instead of the '
                        'benchmark\'s own; the trained stages are reused')
    args = parser.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    if args.freenet_trial:
        preset['freenet_trial'] = args.freenet_trial
    trial = preset['freenet_trial']
    seeds = args.seeds or preset['seeds']
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_union_data(preset, args.data)
    work = osp.join(args.work_dir, f'keypoint_union_{args.preset}')
    # a committed record of a seed under the same settings stands in for its
    # run (seeds finished in other sessions)
    settings = dict({k: v for k, v in preset.items() if k != 'seeds'},
                    freenet_options=TRIALS[trial][1], data=meta)
    test_suffix = ''
    if args.test_seed is not None:
        test_folder, test_meta = ensure_test_data(preset, args.data,
                                                  args.test_seed)
        settings['test_data'] = test_meta
        test_suffix = f'_test-seed{args.test_seed}'
    summaries = []
    for seed in seeds:
        logger.info(f'seed {seed}')
        wf = union_workflow(preset, args.data, seed, args.rows)
        if args.test_seed is not None:
            wf = on_test_data(wf, test_folder)
        summaries.append(run_seed_cached(
            wf, osp.join(work, f'seed{seed}'),
            osp.join(RECORDS, f'keypoint_union_{args.preset}_{trial}_'
                     f'seed{seed}{test_suffix}.json'), settings,
            evaluated_methods(wf), fresh=args.fresh, logger=logger))
    rows = collect_rows(summaries, seeds)
    by = {r['method']: r for r in rows}
    result = dict(
        bench='keypoint_union', preset=args.preset, machine=machine(),
        data=meta, workflow=WORKFLOW, labelled='10 % of each source',
        settings={k: preset.get(k) for k in (
            'naive_epochs', 'freenet_epochs', 'longer_epochs', 'batch_size',
            'width', 'freenet_trial', 'eval_images')},
        freenet_trial=dict(name=trial, epochs_scale=TRIALS[trial][0],
                           options=settings['freenet_options']),
        rows=rows, freenet_gain=gains(by),
        test_split='union_test' if args.test_seed is None else dict(
            split='union_test', generator_seed=args.test_seed,
            data=test_folder),
        total_minutes=round((time.perf_counter() - t0) / 60, 1))
    if args.note:
        result['note'] = args.note
    naive_ips = by.get('naive_merge', {}).get('train_images_per_s')
    fn_ips = by.get('freenet_student', {}).get('train_images_per_s')
    if naive_ips and fn_ips:
        result['freenet_step_cost'] = dict(
            plain_images_per_s=naive_ips, freenet_images_per_s=fn_ips,
            time_vs_plain=round(naive_ips / fn_ips, 2))
    suffix = '' if trial == PRESETS[args.preset]['freenet_trial'] else \
        f'_{trial}'
    out = args.out or osp.join(
        REPO, 'docs', 'benchmarks',
        f'keypoint_union_{args.preset}{suffix}{test_suffix}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + union_table(rows))
    for ctrl, g in result['freenet_gain'].items():
        logger.info(f'freenet vs {ctrl}: ' + ', '.join(
            f'{k} {v["gain"]:+.1f} (spread {v["spread"]:.1f})'
            for k, v in g.items()))
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
