"""The list of screens the app shows; one module per screen (or per small flow)."""


def all_screens():
    """Instantiate every screen; the first one is shown at start."""
    from screens.approval_status import ApprovalStatusScreen
    from screens.approvals import (
        ApprovalConfirmScreen, ApprovalCounterpartScreen, ApprovalEndScreen, ApprovalPlaceScreen,
        ApprovalReasonScreen, ApprovalStartScreen, ApprovalTypeScreen,
    )
    from screens.checkin import CheckinScreen
    from screens.enrol import EnrolDoneScreen, FaceEnrolScreen, VoiceEnrolScreen
    from screens.id_number import IdNumberScreen
    from screens.idle import IdleScreen
    from screens.leave_request import (
        LeaveConfirmScreen, LeaveDestinationScreen, LeaveEndScreen, LeaveReasonScreen,
        LeaveStartScreen,
    )
    from screens.leave_status import LeaveReturnScreen, LeaveStatusScreen
    from screens.lesson_quiz import LessonQuizScreen
    from screens.lessons import LessonDownloadScreen, LessonsScreen
    from screens.menu import MenuScreen
    from screens.out_of_service import OutOfServiceScreen
    from screens.player import LessonPlayerScreen
    from screens.questionnaire import (
        QuestionnaireDoneScreen, QuestionnaireHelpScreen, QuestionnairesScreen, QuestionScreen,
    )
    from screens.staff import StaffMenuScreen, StaffPinScreen, StaffRosterScreen
    from screens.verify import VerifyScreen
    from screens.written_report import (
        ReportCaptureScreen, ReportChooseScreen, ReportDoneScreen, ReportPreviewScreen,
        ReportRecordScreen,
    )

    return [
        IdleScreen(), VerifyScreen(), IdNumberScreen(), MenuScreen(), CheckinScreen(),
        LeaveDestinationScreen(), LeaveStartScreen(), LeaveEndScreen(), LeaveReasonScreen(),
        LeaveConfirmScreen(), LeaveStatusScreen(), LeaveReturnScreen(),
        LessonsScreen(), LessonDownloadScreen(), LessonPlayerScreen(), LessonQuizScreen(),
        QuestionnairesScreen(), QuestionScreen(), QuestionnaireHelpScreen(),
        QuestionnaireDoneScreen(),
        StaffPinScreen(), StaffMenuScreen(), StaffRosterScreen(),
        FaceEnrolScreen(), VoiceEnrolScreen(), EnrolDoneScreen(), OutOfServiceScreen(),
        ApprovalTypeScreen(), ApprovalPlaceScreen(), ApprovalCounterpartScreen(),
        ApprovalStartScreen(), ApprovalEndScreen(), ApprovalReasonScreen(),
        ApprovalConfirmScreen(), ApprovalStatusScreen(),
        ReportChooseScreen(), ReportCaptureScreen(), ReportPreviewScreen(), ReportRecordScreen(),
        ReportDoneScreen(),
    ]
