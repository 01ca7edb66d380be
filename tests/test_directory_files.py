"""Directory files: YAML and CSV imports (all or nothing, every problem with its line), exact round trips."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from directory.csv_file import read_csv, write_csv
from directory.entries import AssociationEntry, Vocabulary
from directory.importing import DirectoryImportError, import_entries
from directory.models import Association, DirectoryChange, Phone, Service
from directory.yaml_file import read_yaml, write_yaml
from foundation.spreadsheets import CsvForm
from tests.directory_support import IMPORTED_AT, RICH_DIRECTORY, current_entries, replace_directory


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test database, which holds config.yaml's example directory."""
    with sessions() as opened:
        yield opened


def problems_of(read: object, text: str, session: Session) -> list[str]:
    """The problems an import of `text` reports, one line each."""
    vocabulary = Vocabulary.load(session)
    with pytest.raises(DirectoryImportError) as caught:
        read(text, vocabulary)  # type: ignore[operator]
    return [str(problem) for problem in caught.value.problems]


def yaml_of(association: str) -> str:
    """A YAML file with a valid first association (lines 2-5) and then `association`, from line 6."""
    return (
        "associations:\n"
        "  - name: Valide\n"
        "    phones: [{number: '+33261912101', ivr: true}]\n"
        "    services:\n"
        "      - {name: Ménage, category: MAISON, communes: all}\n" + association
    )


@pytest.mark.parametrize(
    ("association", "problem"),
    [
        (
            "  - name: X\n    services:\n      - {category: JARDIN, communes: all}\n",
            "ligne 8, associations[1].services[0].category : "
            "« JARDIN » n'est pas une catégorie de la liste des services",
        ),
        (
            "  - name: X\n    services:\n      - {category: MAISON, communes: ['36018', '75056']}\n",
            "ligne 8, associations[1].services[0].communes[1] : "
            "« 75056 » n'est pas le code INSEE d'une commune du territoire",
        ),
        (
            "  - name: X\n    phones:\n      - {number: '+33 1 23'}\n",
            "ligne 8, associations[1].phones[0].number : "
            "« +33 1 23 » n'est pas un numéro au format E.164, comme +33261910000",
        ),
        (
            "  - name: X\n    phones:\n      - {number: '+33012345678'}\n",
            "ligne 8, associations[1].phones[0].number : "
            "« +33012345678 » n'est pas un numéro valide dans son pays",
        ),
        (
            "  - description: Sans nom\n",
            "ligne 6, associations[1].name : le nom est obligatoire",
        ),
        (
            '  - name: "Brenne\\vServices"\n',
            "ligne 6, associations[1].name : contient un caractère de contrôle invisible (U+000B), "
            "souvent collé depuis un tableur ou un traitement de texte : retapez le texte sans lui",
        ),
        (
            "  - name: Valide\n",
            "ligne 6, associations[1].name : en double : l'association « Valide » est déjà ligne 2",
        ),
        (
            "  - name: X\n    services:\n      - {category: MAISON, communes: all}\n"
            "      - {category: MAISON, communes: ['36018']}\n",
            "ligne 9, associations[1].services[1].name : "
            "en double : l'association a déjà un service nommé "
            "« Ménage, linge et entretien de la maison »",
        ),
        (
            "  - name: X\n    services:\n      - {category: MAISON, communes: all, status: closed}\n",
            "ligne 8, associations[1].services[0].status : "
            "« closed » n'est pas un état de service (valides : active, inactive, temporarily_closed)",
        ),
        (
            "  - name: X\n    hours:\n      mon: ['le matin']\n",
            "ligne 8, associations[1].hours.mon : « le matin » n'est pas une plage horaire comme 09:00-12:30 "
            "ou 9h-12h30",
        ),
        (
            "  - name: X\n    hours:\n      mon: ['09:00-12:00', '11:00-14:00']\n",
            "ligne 8, associations[1].hours.mon : les plages qui commencent à 09:00 et à 11:00 le "
            "lundi se chevauchent",
        ),
        (
            "  - name: X\n    hours:\n      someday: '09:00-12:00'\n",
            "ligne 8, associations[1].hours.someday : "
            "« someday » n'est pas un jour (valides : mon, tue, wed, thu, fri, sat, sun)",
        ),
        (
            "  - name: X\n    closures:\n      - {from: 2026-12-31, to: 2026-12-24}\n",
            "ligne 8, associations[1].closures[0] : "
            "la fermeture finit (2026-12-24) avant de commencer (2026-12-31)",
        ),
        (
            "  - name: X\n    closures:\n      - {from: 31/02/2026}\n",
            "ligne 8, associations[1].closures[0].from : « 31/02/2026 » n'est pas une date comme 2026-12-24",
        ),
        (
            "  - name: X\n    priority: first\n",
            "ligne 7, associations[1].priority : "
            "« first » n'est pas une priorité (un nombre entier, 0 ou plus ; la plus petite passe en "
            "premier)",
        ),
        (
            "  - name: X\n    email: contact.example.org\n",
            "ligne 7, associations[1].email : « contact.example.org » n'est pas une adresse de "
            "courriel comme "
            "contact@example.org",
        ),
        (
            "  - name: X\n    website: www.example.org\n",
            "ligne 7, associations[1].website : « www.example.org » n'est pas une adresse web comme "
            "https://example.org",
        ),
        (
            "  - name: X\n    phone: '+33261912001'\n",
            "ligne 7, associations[1].phone : ce champ n'existe pas (valides : name, active, priority, "
            "description, email, website, address, notes, notify, phones, hours, closures, services)",
        ),
        (
            "  - name: X\n    phones:\n      - {number: '+33261912001', ivr: true}\n"
            "      - {number: '+33261912002', ivr: true}\n",
            "ligne 8, associations[1].phones : un seul numéro de l'association peut être celui que "
            "compose le serveur vocal",
        ),
        (
            "  - name: X\n    phones:\n      - {number: '+33261912001', description: 'matin; soir'}\n",
            "ligne 8, associations[1].phones[0].description : « matin; soir » ne doit contenir ni « "
            "; » ni retour à la ligne",
        ),
        (
            "  - name: X\n    services:\n      - {name: Sans catégorie, communes: all}\n",
            "ligne 8, associations[1].services[0].category : la catégorie est obligatoire",
        ),
    ],
)
def test_each_kind_of_yaml_mistake_is_named_with_its_line(
    session: Session, association: str, problem: str
) -> None:
    """A bad entry is reported with its line, its path in the file and what would be valid."""
    assert problems_of(read_yaml, yaml_of(association), session) == [problem]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "associations:\n  - name: 'X\n",
            "ligne 3 : ce n'est pas du YAML valide (vérifiez l'indentation, les « : » et les guillemets)",
        ),
        ("- name: X\n", "ligne 1 : il faut 'associations:' suivi d'une liste"),
        (
            "associations: []\nassociation: []\n",
            "ligne 1, association : inconnu (seul 'associations' est possible)",
        ),
    ],
)
def test_a_yaml_file_of_the_wrong_shape_is_refused(session: Session, text: str, problem: str) -> None:
    """Broken YAML, or YAML that is not a directory, is one problem saying so."""
    assert problems_of(read_yaml, text, session) == [problem]


CSV_HEADER = "association,phones,hours,closures,service,category,status,communes,service_phones\n"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            "X,,,,,JARDIN,,all,\n",
            "ligne 2, category : « JARDIN » n'est pas une catégorie de la liste des services",
        ),
        (
            "X,,,,,MAISON,,36018 75056,\n",
            "ligne 2, communes : « 75056 » n'est pas le code INSEE d'une commune du territoire",
        ),
        (
            "X,+33 2 61,,,,,,,\n",
            "ligne 2, phones : « +33 2 61 » n'est pas un numéro au format E.164, comme +33261910000",
        ),
        (
            "X,téléphone,,,,,,,\n",
            "ligne 2, phones : « téléphone » n'est pas un numéro comme IVR +33261910000 (Accueil)",
        ),
        (
            "X,+33012345678,,,,,,,\n",
            "ligne 2, phones : « +33012345678 » n'est pas un numéro valide dans son pays",
        ),
        (",+33261912001,,,,MAISON,,all,\n", "ligne 2, association : le nom est obligatoire"),
        (
            "X,,,,Ménage,MAISON,,all,\nX,,,,Ménage,MAISON,,36018,\n",
            "ligne 3, service : en double : l'association a déjà un service nommé « Ménage »",
        ),
        (
            "X,,,,,MAISON,fermé,all,\n",
            "ligne 2, status : « fermé » n'est pas un état de service (valides : active, inactive, "
            "temporarily_closed)",
        ),
        (
            "X,,lun 9h-,,,,,,\n",
            "ligne 2, hours : « 9h- » n'est pas une plage horaire comme 09:00-12:30 ou 9h-12h30",
        ),
        (
            "X,,,2026-12-31..2026-12-24,,,,,\n",
            "ligne 2, closures : la fermeture finit (2026-12-24) avant de commencer (2026-12-31)",
        ),
        (
            "X,+33261912001,,,,MAISON,,all,\nX,+33261912002,,,,EXTERIEUR,,all,\n",
            "ligne 3, phones : « +33261912002 » diffère de « +33261912001 » ligne 2 "
            "(les lignes d'une association doivent concorder)",
        ),
        (
            "X,,,,,MAISON,,all,IVR +33261912001; IVR +33261912002\n",
            "ligne 2, service_phones : un seul numéro du service peut être celui que compose le "
            "serveur vocal",
        ),
        ("X,,,,Jardin,,,all,\n", "ligne 2, category : la catégorie est obligatoire"),
    ],
)
def test_each_kind_of_csv_mistake_is_named_with_its_line(session: Session, rows: str, problem: str) -> None:
    """A bad row is reported with its line (the header is line 1), its column and what would be valid."""
    assert problems_of(read_csv, CSV_HEADER + rows, session) == [problem]


def test_a_csv_header_must_name_known_columns(session: Session) -> None:
    """Unknown columns and a missing association column are refused before any row is read."""
    assert problems_of(read_csv, "name,phone\nX,+33261912001\n", session) == [
        "ligne 1, name : cette colonne n'existe pas (valides : association, active, priority, "
        "description, email, "
        "website, street_address, postal_code, city, notes, phones, hours, closures, service, category, "
        "status, service_description, fees, eligibility, communes, service_phones, service_hours, "
        "service_closures)",
        "ligne 1, phone : cette colonne n'existe pas (valides : association, active, priority, "
        "description, email, "
        "website, street_address, postal_code, city, notes, phones, hours, closures, service, category, "
        "status, service_description, fees, eligibility, communes, service_phones, service_hours, "
        "service_closures)",
        "ligne 1, association : cette colonne est obligatoire",
    ]


def test_a_csv_line_number_counts_the_lines_of_multi_line_cells(session: Session) -> None:
    """A description over three lines moves the next record's line number by three."""
    text = 'association,description,category,communes\nA,"une\ndeux\ntrois",MAISON,all\nB,,MAISON,99999\n'
    assert problems_of(read_csv, text, session) == [
        "ligne 5, communes : « 99999 » n'est pas le code INSEE d'une commune du territoire"
    ]


def test_every_bad_row_is_reported_and_nothing_is_imported(session: Session) -> None:
    """Three bad rows among good ones: three problems, in file order, and the database is unchanged."""
    text = (
        CSV_HEADER
        + "Nouvelle,IVR +33261912101,,,,MAISON,,all,\n"
        + "Brenne Aide à Domicile,IVR +33261912001,,,,MAISON,,all,\n"
        + "Mauvaise catégorie,,,,,CUISINE,,all,\n"
        + "Mauvais numéro,0999,,,,MAISON,,all,\n"
        + "Mauvaise commune,,,,,MAISON,,36018 00000,\n"
    )
    before = current_entries(session)
    assert problems_of(read_csv, text, session) == [
        "ligne 4, category : « CUISINE » n'est pas une catégorie de la liste des services",
        "ligne 5, phones : « 0999 » n'est pas un numéro au format E.164, comme +33261910000",
        "ligne 6, communes : « 00000 » n'est pas le code INSEE d'une commune du territoire",
    ]
    assert current_entries(session) == before
    assert session.scalar(select(func.count()).select_from(DirectoryChange)) == 0


def test_csv_from_a_french_spreadsheet_is_understood(session: Session) -> None:
    """';' separators, a BOM, French day names, national numbers and dates as spreadsheets write them."""
    text = (
        "\ufeffassociation;active;priority;phones;hours;closures;category;communes\n"
        'Atelier;oui;20;02 61 91 21 01 (accueil);"lundi 09:00-12:00, 14:00-17:00; ven 09:00-12:00";'
        "24/12/2026..02/01/2027 Congés;MAISON;36018, 36053\n"
        "Atelier;;;;;;EXTERIEUR.JARDINAGE;all\n"
    )
    [entry] = read_csv(text, Vocabulary.load(session))
    assert (entry.name, entry.active, entry.priority) == ("Atelier", True, 20)
    assert [(p.number, p.description, p.ivr) for p in entry.phones] == [("+33261912101", "accueil", False)]
    assert write_yaml([entry], Vocabulary.load(session)).split("associations:\n", 1)[1] == (
        "- name: Atelier\n"
        "  active: true\n"
        "  priority: 20\n"
        "  phones:\n"
        "  - number: '+33261912101'\n"
        "    description: accueil\n"
        "  hours:\n"
        "    mon: ['09:00-12:00', '14:00-17:00']\n"
        "    fri: ['09:00-12:00']\n"
        "  closures:\n"
        "  - from: '2026-12-24'\n"
        "    to: '2027-01-02'\n"
        "    reason: Congés\n"
        "  services:\n"
        "  - name: Ménage, linge et entretien de la maison\n"
        "    category: MAISON\n"
        "    status: active\n"
        "    communes: ['36018', '36053']\n"
        "  - name: Petits travaux de jardinage\n"
        "    category: EXTERIEUR.JARDINAGE\n"
        "    status: active\n"
        "    communes: all\n"
    )


@pytest.mark.parametrize("fmt", ["yaml", "csv-tableur", "csv-donnees"])
def test_import_export_import_gives_identical_data(session: Session, fmt: str) -> None:
    """Import the rich file, export it, import that into an empty directory: same data, same export."""
    replace_directory(session, RICH_DIRECTORY.read_text(encoding="utf-8"))
    vocabulary = Vocabulary.load(session)
    read: Callable[[str, Vocabulary], list[AssociationEntry]]
    if fmt == "yaml":
        write, read = write_yaml, read_yaml
    else:
        form = CsvForm(fmt.removeprefix("csv-"))

        def write(entries: Sequence[AssociationEntry], vocabulary: Vocabulary) -> str:
            return write_csv(entries, vocabulary, form)

        read = read_csv
    imported = current_entries(session)
    exported = write(imported, vocabulary)

    session.execute(Association.__table__.delete())
    import_entries(session, read(exported, vocabulary), vocabulary=vocabulary, actor="test", at=IMPORTED_AT)

    assert current_entries(session) == imported
    assert write(current_entries(session), vocabulary) == exported
    # And the rich file did say something: every kind of detail is there.
    [brenne] = [entry for entry in imported if entry.name == "Brenne Aide à Domicile"]
    assert brenne.description == "Aide à domicile pour tous.\nIntervient sur tout le parc."
    assert [(p.number, p.description, p.ivr) for p in brenne.phones] == [
        ("+33261912001", "Accueil (standard)", True),
        ("+33639980011", "2e ligne, responsable", False),
    ]
    assert len(brenne.hours) == 9
    assert [(c.starts_on.isoformat(), c.ends_on.isoformat(), c.reason) for c in brenne.closures] == [
        ("2026-12-24", "2027-01-02", "Congés de fin d'année"),
        ("2027-05-01", "2027-05-01", ""),
    ]
    [aged, menage] = brenne.services
    assert (aged.status, aged.communes, aged.hours[0].closes.isoformat()) == (
        "temporarily_closed",
        ("36018", "36053", "36066"),
        "23:59:59.999999",
    )
    assert len(menage.communes) == 61
    assert menage.fees == "Tarif horaire selon revenus ; crédit d'impôt de 50 %"


@pytest.mark.parametrize("form", list(CsvForm))
def test_yaml_and_csv_exports_describe_the_same_directory(session: Session, form: CsvForm) -> None:
    """The CSV export read back (in either form) gives exactly the entries the YAML export gives."""
    replace_directory(session, RICH_DIRECTORY.read_text(encoding="utf-8"))
    vocabulary = Vocabulary.load(session)
    entries = current_entries(session)
    assert read_csv(write_csv(entries, vocabulary, form), vocabulary) == read_yaml(
        write_yaml(entries, vocabulary), vocabulary
    )


def test_import_updates_by_name_and_keeps_the_others(session: Session) -> None:
    """Associations named in the file are created or replaced; others stay; unchanged ones are not touched."""
    vocabulary = Vocabulary.load(session)
    text = yaml_of(
        "  - name: Brenne Aide à Domicile\n"
        "    priority: 10\n"
        "    phones: [{number: '+33261912001', ivr: true}]\n"
        "    services:\n"
        "      - {name: Aide aux personnes âgées ou handicapées, category: AUTONOMIE, communes: all}\n"
        "  - name: Brenne Enfance Services\n"
        "    phones: [{number: '+33261912003', ivr: true}]\n"
        "    services:\n"
        '      - {name: "Enfants : garde, sorties d\'école, soutien scolaire et loisirs", category: ENFANTS,'
        " communes: all}\n"
    )
    kept_id = session.scalar(
        select(Service.id)
        .join(Association)
        .where(Association.name == "Brenne Aide à Domicile", Service.category_code == "AUTONOMIE")
    )
    report = import_entries(
        session, read_yaml(text, vocabulary), vocabulary=vocabulary, actor="Camille", at=IMPORTED_AT
    )
    assert (report.created, report.updated, report.unchanged) == (
        ["Valide"],
        ["Brenne Aide à Domicile"],
        ["Brenne Enfance Services"],
    )
    names = session.scalars(select(Association.name).order_by(Association.name)).all()
    assert len(names) == 6
    brenne = session.scalar(select(Association).where(Association.name == "Brenne Aide à Domicile"))
    assert brenne is not None
    assert [(s.id, s.category_code) for s in brenne.services] == [(kept_id, "AUTONOMIE")]
    changes = session.scalars(select(DirectoryChange).order_by(DirectoryChange.id)).all()
    assert [(c.association_name, c.action, c.actor, c.source) for c in changes] == [
        ("Valide", "create", "Camille", "import"),
        ("Brenne Aide à Domicile", "update", "Camille", "import"),
    ]
    assert changes[1].before is not None
    assert changes[1].after is not None
    assert [s["category"] for s in changes[1].before["services"]] == ["AUTONOMIE", "MAISON"]
    assert [s["category"] for s in changes[1].after["services"]] == ["AUTONOMIE"]
    assert session.scalar(select(func.count()).select_from(Phone)) == 6


def test_a_spreadsheet_s_mistakes_name_its_french_columns(session: Session) -> None:
    """A file with the French headers of the spreadsheet export: problems name « Catégorie », « Téléphones »,
    and the valid columns are listed as the spreadsheet writes them."""
    text = (
        "Association;Téléphones;Catégorie;Communes\n"
        "Mauvaise catégorie;;CUISINE;toutes\n"
        "Mauvais numéro;0999;MAISON;toutes\n"
    )
    assert problems_of(read_csv, text, session) == [
        "ligne 2, Catégorie : « CUISINE » n'est pas une catégorie de la liste des services",
        "ligne 3, Téléphones : « 0999 » n'est pas un numéro au format E.164, comme +33261910000",
    ]
    [unknown] = problems_of(read_csv, "Association;Adrese\nX;rue\n", session)
    assert unknown.startswith("ligne 1, Adrese : cette colonne n'existe pas (valides : Association, Active, ")
    assert "Adresse, Code postal, Ville" in unknown
