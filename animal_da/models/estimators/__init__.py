"""Estimators: training recipes around ordinary mmpose pose estimators."""
from .scarcenet import ScarceNetPoseEstimator
from .teacher_student import TeacherStudentPoseEstimator

__all__ = ['ScarceNetPoseEstimator', 'TeacherStudentPoseEstimator']
