"""Estimators: training recipes around ordinary mmpose pose estimators."""
from .adversarial_aug import AdversarialAugPoseEstimator
from .domain_adversarial import DomainAdversarialPoseEstimator
from .freenet import FreeNetPoseEstimator
from .scarcenet import ScarceNetPoseEstimator
from .teacher_student import TeacherStudentPoseEstimator
from .uda_animal import UDAAnimalPoseEstimator

__all__ = ['ScarceNetPoseEstimator', 'TeacherStudentPoseEstimator',
           'DomainAdversarialPoseEstimator', 'UDAAnimalPoseEstimator',
           'FreeNetPoseEstimator', 'AdversarialAugPoseEstimator']
