"""Demo data: a realistic district (Landkreis Osnabrück) to try every screen on a fresh install.

All names are invented. Everything is built from a seeded random generator and ``now``, so two
loads at the same moment give the same data; deadlines and event dates lie in the future relative
to ``now``. Three accounts sign in with :data:`DEMO_PASSWORD` (see README); every other demo user
shares it. :func:`load_demo` flushes only; ``flask demo load`` and ``flask start`` commit once.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.accounts import hash_password
from scheduler_app.domain.career_days import local_time
from scheduler_app.domain.classes import CLASS_CODE_LENGTH, CODE_ALPHABET, PERSONAL_CODE_LENGTH
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.employer_events import mail_registrant, site_of
from scheduler_app.domain.invitations import invite
from scheduler_app.domain.meetings import send_poll_to
from scheduler_app.extensions import db
from scheduler_app.models import (
    AgencyPartner,
    Alliance,
    AllianceDelegate,
    AllianceMeeting,
    AllianceMember,
    CandidateDate,
    CareerDay,
    EmployerEvent,
    EmployerEventKind,
    EventRegistration,
    InvitationReply,
    MeetingInvitation,
    Membership,
    Offer,
    Organisation,
    OrganisationKind,
    PollAnswer,
    PollResponse,
    PollVote,
    Preference,
    Programme,
    RegistrationStatus,
    Role,
    Room,
    Round,
    SchoolClass,
    Slot,
    Student,
    User,
    Venue,
)

DEMO_PASSWORD = "demo-passwort"
COORDINATOR_EMAIL = "koordination@example.org"
TEACHER_EMAIL = "lehrkraft@example.org"
COMPANY_EMAIL = "betrieb@example.org"
DEMO_ACCOUNTS = (
    (COORDINATOR_EMAIL, "Koordinator/in (Jobcenter, Wirtschaftsförderung)"),
    (TEACHER_EMAIL, "Lehrkraft (Oberschule Bramsche)"),
    (COMPANY_EMAIL, "Betrieb (Hasetal Automobile GmbH)"),
)
SEED = 2027

AGENCIES = (
    ("Jobcenter Landkreis Osnabrück", "Osnabrück"),
    ("Wirtschaftsförderung Osnabrücker Land", "Osnabrück"),
    ("Servicestelle Schule-Wirtschaft Landkreis Osnabrück", "Osnabrück"),
)

# name, city, grades of the classes it sends, first/last round it is present (travel time)
SCHOOLS = (
    ("Oberschule Bramsche", "Bramsche", (8, 9), (None, None)),
    ("Gymnasium am Hasetor", "Bramsche", (9, 10), (None, None)),
    ("Realschule Melle", "Melle", (9, 10), (2, None)),
    ("IGS Melle", "Melle", (8, 9), (2, None)),
    ("Oberschule Artland", "Quakenbrück", (9, 10), (None, 3)),
    ("BBS Quakenbrück", "Quakenbrück", (10, 10), (None, 3)),
    ("Oberschule Bersenbrück", "Bersenbrück", (8, 10), (None, None)),
    ("IGS Georgsmarienhütte", "Georgsmarienhütte", (9, 10), (2, None)),
)

# name, city, offer title, occupational field, min/max grade, seats per slot, minimum size, popularity
COMPANIES = (
    ("Hasetal Automobile GmbH", "Bramsche", "Kfz-Mechatroniker/in: Diagnose am Fahrzeug", "Metall und Technik", None, None, 14, 0, 5),
    ("Melle Antriebstechnik GmbH", "Melle", "Industriekaufmann/-frau und Mechatroniker/in", "Kaufmännische Berufe", None, None, 16, 0, 4),
    ("Klinikum Nördliches Osnabrücker Land", "Quakenbrück", "Pflegefachmann/-frau: ein Tag auf Station", "Gesundheit und Pflege", 9, None, 20, 0, 4),
    ("Hüggel Elektrotechnik GmbH", "Georgsmarienhütte", "Elektroniker/in Energie- und Gebäudetechnik", "IT und Elektro", None, None, 12, 0, 3),
    ("Dütetal IT-Systeme GmbH", "Georgsmarienhütte", "Fachinformatiker/in: Netzwerke und Anwendungen", "IT und Elektro", None, None, 12, 4, 5),
    ("Sparkasse Osnabrücker Nordland", "Bersenbrück", "Bankkaufmann/-frau", "Kaufmännische Berufe", 10, None, 14, 0, 3),
    ("Meller Möbelwerke GmbH", "Melle", "Tischler/in: Werkstück in 45 Minuten", "Handwerk", None, None, 8, 4, 3),
    ("Ankumer Maschinenbau GmbH", "Ankum", "Mechatroniker/in und Industriemechaniker/in", "Metall und Technik", None, None, 14, 0, 3),
    ("Samtgemeinde Hasetal", "Bersenbrück", "Verwaltungsfachangestellte/r", "Öffentlicher Dienst", None, None, 16, 0, 2),
    ("Wiehengebirge Logistik GmbH", "Bramsche", "Fachkraft für Lagerlogistik", "Logistik", None, None, 14, 0, 2),
    ("Artland Metallbau GmbH", "Quakenbrück", "Metallbauer/in: Schweißen ausprobieren", "Metall und Technik", 9, None, 8, 4, 3),
    ("Else Kunststofftechnik GmbH", "Melle", "Verfahrensmechaniker/in Kunststoff- und Kautschuktechnik", "Metall und Technik", None, None, 12, 0, 1),
    ("Bäckerei Kornblume GmbH", "Bramsche", "Bäcker/in und Fachverkäufer/in", "Handwerk", None, None, 10, 0, 2),
    ("Hotel am Hasesee", "Bersenbrück", "Hotelfachmann/-frau und Koch/Köchin", "Gastronomie und Hotel", None, None, 12, 0, 2),
    ("Ambulanter Pflegedienst Artland", "Quakenbrück", "Pflegefachmann/-frau in der ambulanten Pflege", "Gesundheit und Pflege", 9, None, 12, 0, 2),
    ("Malerbetrieb Niemann", "Melle", "Maler/in und Lackierer/in", "Handwerk", None, None, 10, 0, 2),
    ("Elektro Brinkmann GmbH & Co. KG", "Quakenbrück", "Elektroniker/in: Smart Home verdrahten", "IT und Elektro", None, None, 10, 0, 3),
    ("Lührmann Sanitär und Heizung", "Georgsmarienhütte", "Anlagenmechaniker/in SHK", "Handwerk", None, None, 10, 0, 2),
    ("Teutoburger Präzisionstechnik GmbH", "Georgsmarienhütte", "Zerspanungsmechaniker/in: CNC live", "Metall und Technik", None, None, 12, 0, 2),
    ("Steuerberatung Kötter & Partner", "Bramsche", "Steuerfachangestellte/r", "Kaufmännische Berufe", 10, None, 12, 0, 1),
    ("Apotheke am Markt Melle", "Melle", "Pharmazeutisch-kaufmännische/r Angestellte/r", "Gesundheit und Pflege", None, None, 10, 0, 2),
    ("Zahnarztpraxis Dr. Wessels", "Bersenbrück", "Zahnmedizinische/r Fachangestellte/r", "Gesundheit und Pflege", None, None, 10, 0, 2),
    ("Kita-Verbund Osnabrücker Nordland", "Bramsche", "Erzieher/in und Sozialassistent/in", "Soziales und Erziehung", None, None, 16, 0, 3),
    ("Schröer Autoteile Großhandel", "Quakenbrück", "Kaufmann/-frau für Groß- und Außenhandelsmanagement", "Kaufmännische Berufe", None, None, 14, 0, 1),
    ("Quakenbrücker Feinkost GmbH", "Quakenbrück", "Fachkraft für Lebensmitteltechnik", "Landwirtschaft und Lebensmittel", None, None, 12, 0, 1),
    ("Dachdeckerei Vennemann", "Alfhausen", "Dachdecker/in: sicher in der Höhe", "Handwerk", 9, None, 8, 4, 2),
    ("Landhandel Rieste GmbH", "Rieste", "Kaufmann/-frau im Einzelhandel", "Kaufmännische Berufe", None, None, 14, 0, 2),
    ("Hase-Kurier Medienhaus", "Bramsche", "Mediengestalter/in Digital und Print", "Medien", None, None, 12, 0, 4),
    ("Stadtwerke Osnabrücker Nordland", "Bramsche", "Elektroniker/in für Betriebstechnik", "IT und Elektro", None, None, 14, 0, 2),
    ("Bauunternehmung Hörsting GmbH", "Bramsche", "Maurer/in und Straßenbauer/in", "Handwerk", None, None, 14, 0, 1),
    ("Gartenbau Hasewiesen", "Bersenbrück", "Gärtner/in: Garten- und Landschaftsbau", "Landwirtschaft und Lebensmittel", 8, 9, 10, 0, 2),
)

ROUNDS = ((time(8, 30), time(9, 15)), (time(9, 30), time(10, 15)), (time(10, 30), time(11, 15)), (time(11, 30), time(12, 15)))
ROOMS = (("Aula", 120), ("Forum", 60), ("Sporthalle", 150), *((f"Raum A{n}", 30) for n in range(101, 111)),
         *((f"Werkstatt {n}", 16) for n in range(1, 4)))

FIRST_NAMES = (
    "Lena", "Mia", "Emma", "Hannah", "Sophie", "Lea", "Marie", "Lina", "Emily", "Anna", "Leonie", "Clara", "Ella",
    "Zeynep", "Amelie", "Luisa", "Maja", "Nele", "Paula", "Sara", "Finn", "Jonas", "Leon", "Paul", "Luca", "Ben",
    "Elias", "Noah", "Felix", "Tim", "Lukas", "Moritz", "Jannik", "Ole", "Emil", "Mats", "Yusuf", "Niklas", "Tom", "Milan",
)
SURNAMES = (
    "Meyer", "Schulte", "Hoffmann", "Brinkmann", "Wessels", "Lange", "Kuhlmann", "Niemann", "Rolfes", "Tepe", "Bruns",
    "Vennemann", "Ostendorf", "Fischer", "Hartmann", "Möller", "Becker", "Wellmann", "Lührmann", "Kemper",
)

# The alliance's members in the order the demo's answers refer to: name, kind, city, required, delegates
# (name, e-mail, function). The Wirtschaftsförderung, the job centre and the companies exist already.
ALLIANCE_MEMBERS = (
    ("Wirtschaftsförderung Osnabrücker Land", OrganisationKind.agency, "Osnabrück", True, (
        ("Markus Kemper", "m.kemper@wifoe-osnabrueck.example", "Geschäftsführer"),
        ("Anna Rolfes", "a.rolfes@wifoe-osnabrueck.example", "Projektleitung Fachkräftesicherung"))),
    ("IHK Osnabrücker Land", OrganisationKind.chamber, "Osnabrück", True, (
        ("Dr. Petra Ostendorf", "ostendorf@ihk-osnabrueck.example", "Leiterin Aus- und Weiterbildung"),)),
    ("Jobcenter Landkreis Osnabrück", OrganisationKind.agency, "Osnabrück", False, (
        ("Stefan Bruns", "stefan.bruns@jobcenter-osnabrueck.example", "Arbeitgeberservice"),)),
    ("Agentur für Arbeit Osnabrück", OrganisationKind.agency, "Osnabrück", False, (
        ("Claudia Hartmann", "claudia.hartmann@arbeitsagentur-osnabrueck.example", "Teamleiterin Berufsberatung"),
        ("Yusuf Demir", "yusuf.demir@arbeitsagentur-osnabrueck.example", "Arbeitgeberservice"))),
    ("Handwerkskammer Osnabrücker Land", OrganisationKind.chamber, "Osnabrück", False, (
        ("Jörg Lührmann", "luehrmann@hwk-osnabrueck.example", "Ausbildungsberater"),)),
    ("Kreishandwerkerschaft Osnabrücker Land", OrganisationKind.chamber, "Osnabrück", False, (
        ("Birgit Wessels", "b.wessels@khs-osnabrueck.example", "Geschäftsführerin"),)),
    ("Bildungswerk Osnabrücker Land gGmbH", OrganisationKind.training_provider, "Bramsche", False, (
        ("Nina Vennemann", "n.vennemann@bildungswerk-ol.example", "Bereichsleitung Berufsvorbereitung"),)),
    ("Hasetal Automobile GmbH", OrganisationKind.company, "Bramsche", False, (
        ("Frank Meyer", "f.meyer@hasetal-automobile.example", "Geschäftsführer"),)),
    ("Klinikum Nördliches Osnabrücker Land", OrganisationKind.company, "Quakenbrück", False, (
        ("Dr. Lea Brinkmann", "l.brinkmann@klinikum-nol.example", "Pflegedirektorin"),)),
    ("Melle Antriebstechnik GmbH", OrganisationKind.company, "Melle", False, (
        ("Tobias Kuhlmann", "t.kuhlmann@melle-antriebstechnik.example", "Personalleiter"),)),
)
ALLIANCE_AGENDA = ("Begrüßung und Protokoll der letzten Sitzung\nFachkräftemonitor Landkreis Osnabrück\n"
                   "Rückblick BO-Tage und Ausbildungsbörse\nAzubi-Wohnen und Mobilität im ländlichen Raum\nVerschiedenes")
ALLIANCE_MINUTES = (
    "TOP 1: Das Protokoll der letzten Sitzung wurde ohne Änderungen angenommen.\n"
    "TOP 2: Die IHK stellte den Fachkräftemonitor vor: 1.900 offene Stellen in Pflege, Handwerk und Logistik.\n"
    "TOP 3: 31 Betriebe und 8 Schulen nahmen an den BO-Tagen teil; die Ausbildungsbörse findet wieder im Herbst statt.\n"
    "TOP 4: Das Bildungswerk prüft ein Azubi-Wohnheim in Bramsche; Jobcenter und Agentur klären die Förderung.\n"
    "TOP 5: Nächstes Treffen in etwa sechs Monaten; die Terminumfrage kommt per E-Mail."
)
POLL_LETTERS = {"j": PollAnswer.yes, "v": PollAnswer.if_need_be, "n": PollAnswer.no}


def season(day: date) -> str:
    return {3: "Frühjahr", 4: "Frühjahr", 5: "Frühjahr", 6: "Sommer", 7: "Sommer", 8: "Sommer",
            9: "Herbst", 10: "Herbst", 11: "Herbst"}.get(day.month, "Winter")


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    schools: int
    companies: int
    students: int
    offers: int


def database_is_empty() -> bool:
    """True when there is no organisation yet: the demo (and ``flask start``) only fill such a database."""
    return db.session.scalar(select(func.count(Organisation.id))) == 0


DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def load_demo(now: datetime, seed: int = SEED, base_url: str = DEFAULT_BASE_URL) -> DemoSummary:
    """Add the demo district to an empty database (flush only). Refuses when organisations exist.
    The mails its story wrote (a contact's invitation, the registrations' confirmations, the open
    poll) wait in the outbox with links to ``base_url``, for the job process to deliver."""
    if not database_is_empty():
        raise DomainError("The database already has organisations; demo data is only loaded into an empty database.")
    return _DemoBuilder(now, random.Random(seed), base_url).build()


class _DemoBuilder:
    def __init__(self, now: datetime, rng: random.Random, base_url: str = DEFAULT_BASE_URL):
        self.now = now
        self.base_url = base_url
        self.rng = rng
        self.today = local_time(now).date()
        self.password_hash = hash_password(DEMO_PASSWORD)  # one hash for all demo users: loading stays fast
        self.codes: set[str] = set()

    def build(self) -> DemoSummary:
        agencies = [self.organisation(OrganisationKind.agency, name, city) for name, city in AGENCIES]
        schools = [self.organisation(OrganisationKind.school, name, city) for name, city, *_ in SCHOOLS]
        companies = [self.organisation(OrganisationKind.company, row[0], row[1]) for row in COMPANIES]
        jobcenter, wirtschaftsfoerderung, servicestelle = agencies
        self.stamp()
        db.session.flush()  # ids for the alliance's coordinating agency and the partnerships
        # Who works with whom (scheduler_app.domain.scope): the job centre runs the career day and the
        # employer events, the Servicestelle works with every school, the Wirtschaftsförderung with
        # the alliance's members.
        self.partners(jobcenter, schools + companies)
        self.partners(servicestelle, schools)

        coordinator = self.user(COORDINATOR_EMAIL, "Sabine Wellmann", (jobcenter, Role.coordinator),
                                (wirtschaftsfoerderung, Role.coordinator))
        teacher = self.user(TEACHER_EMAIL, "Thomas Brüggemann", (schools[0], Role.contact))
        self.user(COMPANY_EMAIL, "Julia Hasekamp", (companies[0], Role.contact))

        programme = Programme(name="BO-Tage Landkreis Osnabrück 2027", agency=jobcenter,
                              description="Berufsorientierungstage für die Klassen 8 bis 10 im Landkreis Osnabrück.")
        db.session.add(programme)
        career_day = self.career_day(programme, schools, companies, teacher)
        self.employer_events(jobcenter, companies, schools)
        self.registration_mails()
        self.alliance(wirtschaftsfoerderung, jobcenter, companies)

        self.stamp()
        db.session.flush()
        # the coordinator invited a second contact of the Realschule Melle yesterday: the mail waits in the outbox
        invite(coordinator, schools[2], "sekretariat@realschule-melle.example", "Petra Lange", self.now - timedelta(days=1),
               timedelta(days=14), self.base_url)
        audit.record(None, "demo.load", programme, self.now)
        return DemoSummary(agencies=len(agencies), schools=len(schools), companies=len(companies),
                           students=sum(len(c.students) for c in career_day.classes), offers=len(career_day.offers))

    # --- people and organisations -----------------------------------------------------------------

    def organisation(self, kind: OrganisationKind, name: str, city: str) -> Organisation:
        organisation = Organisation(kind=kind, name=name, city=city)
        db.session.add(organisation)
        return organisation

    def partners(self, agency: Organisation, organisations) -> None:
        db.session.add_all(AgencyPartner(agency_id=agency.id, organisation_id=organisation.id, created_at=self.now)
                           for organisation in organisations)

    def user(self, email: str, name: str, *memberships: tuple[Organisation, Role]) -> User:
        user = User(email=email, name=name, password_hash=self.password_hash)
        db.session.add(user)
        for organisation, role in memberships:
            db.session.add(Membership(user=user, organisation=organisation, role=role))
        return user

    def person_name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    def code(self, length: int) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(length))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def at(self, days: int, clock: time) -> datetime:
        """A wall-clock time ``days`` after today (Europe/Berlin), as event times are stored."""
        return datetime.combine(self.today + timedelta(days=days), clock)

    def weekday_after(self, days: int) -> date:
        """The first Tuesday, Wednesday or Thursday at least ``days`` from today."""
        day = self.today + timedelta(days=days)
        while day.weekday() not in (1, 2, 3):
            day += timedelta(days=1)
        return day

    # --- the career day ------------------------------------------------------------------------------

    def career_day(self, programme: Programme, schools, companies, teacher: User) -> CareerDay:
        venue = Venue(agency_id=programme.agency.id, name="Schulzentrum Bramsche", street="Am Schulzentrum 1", postcode="49565", city="Bramsche")
        venue.rooms = [Room(name=name, capacity=capacity) for name, capacity in ROOMS]
        day = self.weekday_after(49)
        career_day = CareerDay(
            programme=programme, name="Berufsorientierungstag Bramsche 2027", date=day, venue=venue,
            booking_deadline=self.at(14, time(23, 59)), registration_deadline=self.at(21, time(23, 59)),
            wishes_deadline=self.at(35, time(23, 59)), wishes_count=5, slots_per_student=3, max_students=450,
            retention_until=day + timedelta(days=90),
        )
        db.session.add(career_day)
        career_day.rounds = [Round(position=n, starts_at=start, ends_at=end) for n, (start, end) in enumerate(ROUNDS, 1)]

        small_rooms = [room for room in venue.rooms if room.name.startswith(("Raum", "Werkstatt"))]
        big_rooms = [room for room in venue.rooms if not room.name.startswith(("Raum", "Werkstatt"))]
        popularity = {}
        for index, (company, row) in enumerate(zip(companies, COMPANIES)):
            _name, _city, title, field, min_grade, max_grade, seats, min_size, weight = row
            room = big_rooms[index % len(big_rooms)] if seats >= 20 else small_rooms[index % len(small_rooms)]
            offer = Offer(company=company, title=title, occupational_field=field,
                          min_grade=min_grade, max_grade=max_grade, room=room,
                          description=f"{company.name} stellt die Ausbildung vor: Aufgaben, Voraussetzungen, Bewerbung.")
            career_day.offers.append(offer)
            skipped_round = index % 4 + 1 if index % 3 == 0 else None  # some companies come for three rounds only
            offer.slots = [Slot(round=round_, capacity=seats, min_size=min_size)
                           for round_ in career_day.rounds if round_.position != skipped_round]
            popularity[offer] = weight

        for school, (_name, _city, grades, (first, last)) in zip(schools, SCHOOLS):
            for grade, letter in zip(grades, "ab"):
                self.school_class(career_day, school, grade, letter, first, last,
                                  teacher.name if school.name == "Oberschule Bramsche" else self.person_name(), popularity)
        career_day.registered_students = sum(c.headcount for c in career_day.classes)
        return career_day

    def school_class(self, career_day: CareerDay, school: Organisation, grade: int, letter: str,
                     first_round: int | None, last_round: int | None, teacher_name: str, popularity: dict) -> None:
        headcount = self.rng.randint(22, 27)
        school_class = SchoolClass(school=school, name=f"{grade}{letter}", grade=grade,
                                   headcount=headcount, first_round=first_round, last_round=last_round,
                                   class_code=self.code(CLASS_CODE_LENGTH), teacher_name=teacher_name)
        career_day.classes.append(school_class)
        names: set[str] = set()
        eligible = [offer for offer in popularity if offer.open_to_grade(grade)
                    and any(school_class.present_in(slot.round.position) for slot in offer.slots)]
        for _ in range(headcount):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)[0]}."
            while name in names:
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)[0]}."
            names.add(name)
            student = Student(display_name=name, personal_code=self.code(PERSONAL_CODE_LENGTH),
                              wishes_submitted_at=self.now - timedelta(hours=self.rng.randint(2, 240)))
            school_class.students.append(student)
            student.preferences = [Preference(offer=offer, rank=rank)
                                   for rank, offer in enumerate(self.ranked_wishes(eligible, popularity, 5), 1)]

    def ranked_wishes(self, offers: list[Offer], popularity: dict, count: int) -> list[Offer]:
        """``count`` different offers, popular ones more likely, in the order drawn."""
        remaining = list(offers)
        chosen = []
        while remaining and len(chosen) < count:
            pick = self.rng.choices(remaining, weights=[popularity[offer] for offer in remaining])[0]
            remaining.remove(pick)
            chosen.append(pick)
        return chosen

    # --- employer events: all four kinds, a programme gathering several --------------------------------

    def employer_events(self, jobcenter: Organisation, companies, schools) -> None:
        """Eight events of the district's companies: one with only 2 places left, one full with a waitlist
        that includes a group, one in the past with attendance recorded, a draft and a cancelled one; the
        programme "Woche der kommunalen Jobcenter" gathers the published ones of the coming weeks."""
        week = Programme(name=f"Woche der kommunalen Jobcenter {self.at(21, time()).year}", agency=jobcenter,
                         description="Betriebe im Landkreis Osnabrück öffnen ihre Türen: Infoabende, Betriebsbesichtigungen "
                                     "und Workshops für Schülerinnen und Schüler, Eltern und Arbeitsuchende.")
        db.session.add(week)
        published = self.now - timedelta(days=7)
        venue = Venue(agency_id=jobcenter.id, name="Melle Antriebstechnik, Schulungszentrum", street="Gewerbering 12",
                      postcode="49324", city="Melle")
        full = self.employer_event(
            companies[1], EmployerEventKind.info_session, "Infoabend: Ausbildung und duales Studium", 22, time(18, 0), 24,
            "Auszubildende berichten, Rundgang durch die Ausbildungswerkstatt, Fragen an die Personalabteilung. "
            "Eltern sind willkommen.", "Kaufmännische Berufe", None, programme=week, published_at=published, venue=venue)
        self.fill(full, full.capacity, schools)
        self.registration(full, 6, RegistrationStatus.waitlisted, 1, schools, organisation=schools[2])  # a group
        self.registration(full, 1, RegistrationStatus.waitlisted, 2, schools)
        self.registration(full, 2, RegistrationStatus.waitlisted, 3, schools)
        almost = self.employer_event(
            companies[0], EmployerEventKind.open_day, "Tag der offenen Tür in der Werkstatt", 23, time(14, 0), 30,
            "Probieren Sie Diagnosegeräte aus, sprechen Sie mit unseren Azubis.", "Metall und Technik",
            "Hasestraße 40, 49565 Bramsche", programme=week, published_at=published)
        self.fill(almost, almost.capacity - 2, schools)
        visit = self.employer_event(
            companies[2], EmployerEventKind.company_visit, "Betriebsbesichtigung: ein Tag im Klinikum", 24, time(9, 0), 25,
            "Eine Klasse besucht Station, Labor und Küche; Pflegeschüler/innen führen.", "Gesundheit und Pflege",
            "Danziger Straße 2, 49610 Quakenbrück", programme=week, published_at=published, grades=(9, 10))
        self.registration(visit, 22, RegistrationStatus.confirmed, None, schools, organisation=schools[4])
        visit.booked = 22
        self.employer_event(
            companies[3], EmployerEventKind.workshop, "Workshop: Smart Home selbst verkabeln", 25, time(15, 0), 12,
            "Drei Stunden an echten Schaltschränken, mit Arbeitskleidung.", "IT und Elektro",
            "Industriestraße 8, 49124 Georgsmarienhütte", programme=week, published_at=published, grades=(8, 10))
        self.employer_event(
            companies[4], EmployerEventKind.info_session, "Infoabend: Fachinformatik für Eltern und Jugendliche", 40,
            time(18, 30), 40, "Was lernt man in der Ausbildung, was verdient man danach?", "IT und Elektro",
            "Am Kasinopark 1, 49124 Georgsmarienhütte", published_at=published)
        past = self.employer_event(
            companies[0], EmployerEventKind.company_visit, "Werkstattbesuch Kfz-Mechatronik", -10, time(10, 0), 20,
            "Eine Klasse erlebt einen Vormittag in der Werkstatt.", "Metall und Technik", "Hasestraße 40, 49565 Bramsche",
            published_at=self.now - timedelta(days=40))
        self.fill(past, 16, schools)
        for number, registration in enumerate(past.registrations):
            registration.attended = number % 4 != 3  # every fourth did not come
        self.employer_event(
            companies[6], EmployerEventKind.workshop, "Workshop: Hocker bauen", 35, time(9, 0), 10,
            "Noch in Planung.", "Handwerk", "Möbelstraße 3, 49324 Melle")  # a draft: invisible to the public
        cancelled = self.employer_event(
            companies[7], EmployerEventKind.open_day, "Tag der offenen Tür im Maschinenbau", 26, time(10, 0), 50,
            "Leider abgesagt.", "Metall und Technik", "Gewerbestraße 5, 49577 Ankum", published_at=published)
        cancelled.cancelled_at = self.now - timedelta(days=1)
        cancelled.calendar_sequence = 1

    def employer_event(self, company: Organisation, kind: EmployerEventKind, title: str, days: int, starts: time,
                       capacity: int, description: str, field: str, address: str | None, *, programme: Programme | None = None,
                       published_at: datetime | None = None, venue: Venue | None = None,
                       grades: tuple[int, int] | None = None) -> EmployerEvent:
        starts_at = self.at(days, starts)
        event = EmployerEvent(
            programme=programme, company=company, kind=kind, title=title, description=description, occupational_field=field,
            address=address, venue=venue, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2, minutes=30),
            capacity=capacity, booked=0, registration_deadline=starts_at - timedelta(days=2), waitlist_enabled=True,
            max_places_per_registration=30, published_at=published_at, min_grade=grades[0] if grades else None,
            max_grade=grades[1] if grades else None)
        db.session.add(event)
        return event

    def registration_mails(self) -> None:
        """Each registrant of a coming published event got the confirmation or waitlist place by mail: the
        mails wait in the outbox for the first run of the job process."""
        self.stamp()
        db.session.flush()
        site = site_of(current_app.config, self.base_url)
        for event in db.session.scalars(select(EmployerEvent).where(EmployerEvent.published_at.is_not(None),
                                                                     EmployerEvent.cancelled_at.is_(None),
                                                                     EmployerEvent.starts_at > self.now)
                                        .order_by(EmployerEvent.id)):
            for registration in event.registrations:
                mail_registrant(registration, "event_registration", site, self.now)

    def fill(self, event: EmployerEvent, places: int, schools) -> None:
        """Confirmed registrations of one to three places until ``places`` are taken."""
        booked = 0
        while booked < places:
            taken = min(self.rng.randint(1, 3), places - booked)
            self.registration(event, taken, RegistrationStatus.confirmed, None, schools)
            booked += taken
        event.booked += booked

    def registration(self, event: EmployerEvent, places: int, status: RegistrationStatus, position: int | None, schools,
                     organisation: Organisation | None = None) -> None:
        name = self.person_name()
        email = f"anmeldung{len(event.registrations) + 1}@example.org"
        event.registrations.append(EventRegistration(name=name, email=email, places=places, status=status,
                                                     waitlist_position=position,
                                                     organisation=organisation or self.rng.choice(schools)))

    # --- the alliance: members, delegates, a past meeting and an open poll --------------------------

    def alliance(self, coordinating_agency: Organisation, jobcenter: Organisation, companies) -> None:
        """The Fachkräftebündnis of the Wirtschaftsförderung: ten members (two of them required), one or
        two delegates each (people without accounts), a meeting held about five months ago with replies,
        attendance and minutes, and the next meeting whose poll is open with some answers."""
        alliance = Alliance(name="Fachkräftebündnis Osnabrücker Land", region="Landkreis Osnabrück", federal_state="NI",
                            coordinating_agency_id=coordinating_agency.id)
        db.session.add(alliance)
        existing = {coordinating_agency.name: coordinating_agency, jobcenter.name: jobcenter,
                    **{company.name: company for company in companies}}
        for name, kind, city, required, delegates in ALLIANCE_MEMBERS:
            organisation = existing.get(name) or self.organisation(kind, name, city)
            member = AllianceMember(organisation=organisation, required=required, joined_on=self.now - timedelta(days=400))
            member.delegates = [AllianceDelegate(name=person, email=email, function=function) for person, email, function in delegates]
            alliance.members.append(member)
        self.stamp()
        db.session.flush()
        self.partners(coordinating_agency, [m.organisation for m in alliance.members if m.organisation is not coordinating_agency])
        venue = Venue(agency_id=coordinating_agency.id, name="Wirtschaftsförderung Osnabrücker Land", street="Am Schölerberg 1",
                      postcode="49082", city="Osnabrück")
        self.past_meeting(alliance, venue)
        self.open_poll(alliance, venue)

    def meeting(self, alliance: Alliance, venue: Venue, first: date, starts: time = time(14, 0)) -> AllianceMeeting:
        """A meeting with candidate dates on ``first`` and the two following weeks."""
        meeting = AllianceMeeting(alliance=alliance, title=f"Bündnistreffen {season(first)} {first.year}", venue=venue,
                                  room="Sitzungssaal, 2. OG", agenda=ALLIANCE_AGENDA, duration_minutes=120)
        meeting.candidates = [CandidateDate(starts_at=datetime.combine(first + timedelta(weeks=week), starts),
                                            ends_at=datetime.combine(first + timedelta(weeks=week), starts) + timedelta(hours=2))
                              for week in range(3)]
        db.session.add(meeting)
        return meeting

    def answer(self, meeting: AllianceMeeting, member: AllianceMember, answers: str, when: datetime, comment: str | None = None) -> None:
        """The member's poll answer: one letter per candidate (j = yes, v = if need be, n = no)."""
        for candidate, letter in zip(meeting.candidates, answers):
            candidate.votes.append(PollVote(organisation=member.organisation, answer=POLL_LETTERS[letter], updated_at=when))
        meeting.responses.append(PollResponse(organisation=member.organisation, delegate=member.delegates[0],
                                              answered_by=member.delegates[0].name, comment=comment, updated_at=when))

    def past_meeting(self, alliance: Alliance, venue: Venue) -> None:
        first = self.weekday_after(-22 * 7 - 14)
        meeting = self.meeting(alliance, venue, first)
        meeting.poll_sent_at = self.now - timedelta(weeks=28)
        meeting.poll_deadline = datetime.combine(first - timedelta(days=14), time(12, 0))
        for member, answers in zip(alliance.members, ("jvj", "jjn", "vjj", "jjv", "njj", "jjj", "vjn", "jnj", "njv", "jjj")):
            self.answer(meeting, member, answers, meeting.poll_sent_at + timedelta(days=2))
        chosen = meeting.candidates[1]
        meeting.chosen_candidate = chosen
        meeting.date_fixed_at = meeting.updated_at = self.now - timedelta(weeks=25)
        for index, member in enumerate(alliance.members):
            for number, delegate in enumerate(member.delegates):
                invitation = MeetingInvitation(organisation=member.organisation, delegate=delegate, name=delegate.name,
                                               email=delegate.email, sent_at=meeting.date_fixed_at,
                                               replied_at=meeting.date_fixed_at + timedelta(days=3))
                meeting.invitations.append(invitation)
                if index == 8:  # the hospital could not come
                    invitation.reply, invitation.attendees, invitation.attended = InvitationReply.declined, 0, False
                elif index == 5 and number == 0:  # the Kreishandwerkerschaft sent a colleague
                    invitation.reply, invitation.attendees = InvitationReply.substituted, 0
                    invitation.substitutes.append(MeetingInvitation(
                        meeting=meeting, organisation=member.organisation, name="Henrik Tepe", email="h.tepe@khs-osnabrueck.example",
                        reply=InvitationReply.accepted, attendees=1, attended=True, sent_at=invitation.replied_at,
                        replied_at=invitation.replied_at + timedelta(days=1)))
                else:
                    invitation.reply, invitation.attendees = InvitationReply.accepted, 1
                    invitation.attended = not (index == 7 and number == 0)  # one company did not turn up after all
        meeting.minutes_text = ALLIANCE_MINUTES
        meeting.minutes_added_at = datetime.combine(chosen.starts_at.date() + timedelta(days=6), time(9, 0))

    def open_poll(self, alliance: Alliance, venue: Venue) -> None:
        first = self.weekday_after(28)
        meeting = self.meeting(alliance, venue, first)
        meeting.poll_deadline = self.at(10, time(12, 0))
        meeting.poll_sent_at = self.now - timedelta(days=3)
        # the rule picks the second date: all required members can come, as many members as on the first, more yes
        answered = list(zip(alliance.members, ("jvj", "vjn", "jjv", "jnv", "njj", "jjv", "vjj")))
        for member, answers in answered:  # three members have not answered yet
            self.answer(meeting, member, answers, self.now - timedelta(days=2),
                        "Nachmittags passt uns besser." if member.organisation.kind is OrganisationKind.chamber else None)
        self.stamp()
        db.session.flush()
        for member in alliance.members:  # the poll went to every delegate three days ago
            for delegate in member.delegates:
                send_poll_to(meeting, delegate, meeting.poll_sent_at, self.base_url)

    def stamp(self) -> None:
        """Creation times from ``now`` rather than the clock, so the demo is reproducible."""
        for obj in list(db.session.new):
            for attribute in ("created_at", "updated_at", "joined_on"):
                if hasattr(type(obj), attribute) and getattr(obj, attribute) is None:
                    setattr(obj, attribute, self.now)
