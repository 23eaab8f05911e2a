"""The vocabulary of the synthetic cases: sectors, company-name syllables, countries, and the English and
French word lists and sentence templates their stories are drawn from. Plain data, read by generator.py.

The English and French lists of each kind are translations of each other, item by item (cities aside: each
language has its own, and a translated case keeps its original city), so that a case written in both languages
says the same thing in each.
"""

# A few sectors of our own, so that a database without the demo catalogue still has sectors to spread over.
SYNTHETIC_SECTORS = [
    ("Telecoms (synthetic)", "telecoms"),
    ("Air travel (synthetic)", "air-travel"),
    ("Banking (synthetic)", "banking"),
    ("Energy (synthetic)", "energy"),
    ("Retail (synthetic)", "retail"),
    ("Rail (synthetic)", "rail"),
    ("Insurance (synthetic)", "insurance"),
    ("Online services (synthetic)", "online-services"),
]

SYLLABLES = [
    "al", "bra", "cor", "dex", "el", "fin", "gal", "hor", "is", "jet", "kal", "lum", "mer", "nor", "ov",
    "pra", "quin", "ros", "sol", "tel", "ul", "ver", "wex", "xan", "yor", "zen", "ar", "bel", "cap", "dor",
    "est", "fer", "gra", "lin", "mon", "nex", "or", "pol", "ri", "sta", "tri", "val", "vi", "zo",
]  # fmt: skip
COMPANY_KINDS = [
    "Telecom", "Airlines", "Bank", "Energy", "Mobile", "Rail", "Assurances", "Voyages", "Electric", "Market",
    "Express", "Services", "Online", "Fibre", "Air", "Logistique", "Store", "Direct", "Group", "Mutuelle",
]  # fmt: skip
COUNTRIES = ["FR"] * 40 + ["GB"] * 12 + ["US"] * 12 + ["DE"] * 8 + ["BE"] * 6 + ["CA"] * 5 + ["CH"] * 4
COUNTRIES += ["ES"] * 4 + ["IT"] * 4 + ["NL"] * 3 + ["SE"] * 1 + ["JP"] * 1
CURRENCY_OF = {"GB": "GBP", "US": "USD", "CA": "CAD", "CH": "CHF", "SE": "SEK", "JP": "JPY"}
OTHER_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK"]

WORDS = {
    "en": {
        "person": [
            "a pensioner",
            "a student",
            "a family of four",
            "a nurse",
            "a disabled passenger",
            "a farmer",
            "a widow",
            "a small business owner",
            "a teacher",
            "a musician",
            "a newly married couple",
            "a retired engineer",
            "a single father",
            "a night-shift worker",
            "a blind customer",
        ],
        "item": [
            "guitar",
            "wedding dress",
            "wheelchair",
            "laptop",
            "fridge",
            "phone",
            "bicycle",
            "suitcase",
            "sofa",
            "hearing aid",
            "camera",
            "cello",
            "washing machine",
            "birthday cake",
            "passport",
        ],
        "city": [
            "Lyon",
            "Manchester",
            "Chicago",
            "Lille",
            "Bordeaux",
            "Glasgow",
            "Toronto",
            "Geneva",
            "Nantes",
            "Denver",
            "Leeds",
            "Marseille",
            "Brussels",
            "Strasbourg",
            "Dublin",
        ],
        "title": [
            "{company} charged {person} {amount} for a line that never worked",
            "{company} left {n} passengers stranded in {city} for {k} days",
            "{company} refused to refund a {item} that never arrived",
            "{company} broke {person}'s {item} and blamed the customer",
            "{company} kept billing {person} for {k} years after the contract ended",
            "{company} cut off {person}'s power in the middle of winter",
            "{company} lost {person}'s {item} and offered a voucher",
            "{company} exposed the personal data of {n} customers",
            "{company} hung up on {person} {k} times in one week",
            "{company} sent bailiffs over a bill already paid",
            "{company} locked {n} customers out of their accounts in {city}",
            "{company} sold {person} a {item} it knew was faulty",
        ],
        "summary": [
            "For {k} weeks, {person} called, wrote and waited while {company} answered with form letters.",
            "What started as a {amount} dispute in {city} ended on the front page of every newspaper.",
            "{company} denied everything until a video of the incident was watched millions of times.",
            "A simple refund would have closed the case; the company chose to fight instead.",
            "The regulator received {n} complaints before {company} admitted there was a problem.",
            "Customers in {city} learned about the failure from the press, not from {company}.",
        ],
        "paragraph": [
            "It began in {city}, when {person} noticed that the {item} had never been delivered. "
            "The first call to customer service lasted {k} minutes and ended with a promise to call back.",
            "Nobody called back. Over the following weeks {person} wrote {k} letters, each answered by a "
            "form letter that quoted a different reference number.",
            "The story reached social media on a Sunday evening. By Monday morning it had been shared "
            "{n} times and the company's own account was flooded with similar complaints.",
            "A spokesperson first described the case as *an isolated misunderstanding*. Two days later, "
            "journalists in {city} had found {k} other customers with the same problem.",
            "Consumer associations pointed out that the contract entitled customers to a refund of "
            "{amount} within thirty days, a clause the company had ignored.",
            "The ombudsman sided with the customers and asked {company} to review every similar file "
            "opened since the start of the year.",
            "Internal documents later showed that staff had been told to **never** offer compensation "
            "before a second complaint.",
            "The company eventually apologised, reimbursed {amount} and changed its procedure, but only "
            "after the case had cost it far more in reputation than the refund ever would have.",
        ],
        "lesson": [
            "A quick apology and a small refund would have ended the story on the first day.",
            "Customers forgive a failure more easily than silence.",
            "A service that was paid for must be delivered, or paid back at once.",
            "Refusing a small remedy can cost thousands of times more in reputation.",
        ],
        "apology": [
            "We regret any inconvenience this may have caused.",
            "We are sorry that the customer feels this way.",
            "We got this wrong, we apologise, and we have refunded every customer affected.",
            "We will not comment on an individual case.",
        ],
        "response": [
            "The company first denied the problem, then offered a voucher.",
            "The company issued a short statement and did not answer further questions.",
            "The chief executive apologised in person and announced an independent review.",
        ],
        "actions": [
            "Staff now have authority to refund up to {amount} without approval.",
            "A dedicated team reviews every complaint older than two weeks.",
            "The contract terms were rewritten in plain language.",
        ],
        "source": [
            "{company} customers left waiting for refunds",
            "How a {item} became a public-relations disaster",
            "Regulator opens inquiry into {company}",
            "{company} apologises after weeks of silence",
            "Passengers stranded in {city} tell their story",
        ],
        "event": [
            "The incident happens.",
            "The customer files a first complaint.",
            "A post about the case goes viral.",
            "The national press picks up the story.",
            "The regulator opens an inquiry.",
            "The company responds publicly.",
            "The customer is refunded.",
        ],
    },
    "fr": {
        "person": [
            "une retraitée",
            "un étudiant",
            "une famille de quatre personnes",
            "une infirmière",
            "un passager handicapé",
            "un agriculteur",
            "une veuve",
            "un artisan",
            "une enseignante",
            "un musicien",
            "de jeunes mariés",
            "un ingénieur retraité",
            "un père seul",
            "une aide-soignante",
            "un client aveugle",
        ],
        "item": [
            "guitare",
            "robe de mariée",
            "fauteuil roulant",
            "ordinateur",
            "réfrigérateur",
            "téléphone",
            "vélo",
            "valise",
            "canapé",
            "appareil auditif",
            "appareil photo",
            "violoncelle",
            "machine à laver",
            "gâteau d'anniversaire",
            "passeport",
        ],
        "city": [
            "Lyon",
            "Lille",
            "Bordeaux",
            "Nantes",
            "Marseille",
            "Strasbourg",
            "Rennes",
            "Toulouse",
            "Montpellier",
            "Grenoble",
            "Dijon",
            "Brest",
            "Genève",
            "Bruxelles",
            "Québec",
        ],
        "title": [
            "{company} facture {amount} à {person} pour une ligne jamais activée",
            "{company} abandonne {n} passagers à {city} pendant {k} jours",
            "{company} refuse de rembourser une {item} jamais livrée",
            "{company} casse l'{item} d'{person} et accuse le client",
            "{company} prélève {person} pendant {k} ans après la résiliation",
            "{company} coupe l'électricité d'{person} en plein hiver",
            "{company} perd la {item} d'{person} et propose un bon d'achat",
            "{company} expose les données personnelles de {n} clients",
            "{company} raccroche au nez d'{person} {k} fois en une semaine",
            "{company} envoie un huissier pour une facture déjà payée",
            "{company} bloque l'accès de {n} clients à leur compte à {city}",
            "{company} vend à {person} un {item} qu'elle savait défectueux",
        ],
        "summary": [
            "Pendant {k} semaines, {person} a appelé, écrit et attendu ; {company} répondait par des lettres types.",
            "Un litige de {amount} à {city} a fini en une de tous les journaux.",
            "{company} a tout nié jusqu'à ce qu'une vidéo de l'incident soit vue des millions de fois.",
            "Un simple remboursement aurait clos l'affaire ; l'entreprise a préféré se battre.",
            "Le médiateur a reçu {n} réclamations avant que {company} ne reconnaisse le problème.",
            "Les clients de {city} ont appris la panne par la presse, pas par {company}.",
        ],
        "paragraph": [
            "Tout commence à {city}, quand {person} constate que sa commande n'a jamais été livrée. "
            "Le premier appel au service client dure {k} minutes et se termine par une promesse de rappel.",
            "Personne ne rappelle. Pendant des semaines, {person} envoie {k} courriers, chacun suivi d'une "
            "lettre type citant un numéro de dossier différent.",
            "L'histoire arrive sur les réseaux sociaux un dimanche soir. Le lundi matin, elle a été partagée "
            "{n} fois et le compte de l'entreprise croule sous des plaintes semblables.",
            "Un porte-parole parle d'abord d'*un malentendu isolé*. Deux jours plus tard, des journalistes de "
            "{city} ont retrouvé {k} autres clients victimes du même problème.",
            "Les associations de consommateurs rappellent que le contrat prévoit un remboursement de "
            "{amount} sous trente jours, une clause que l'entreprise a ignorée.",
            "Le médiateur donne raison aux clients et demande à {company} de réexaminer tous les dossiers "
            "semblables ouverts depuis le début de l'année.",
            "Des documents internes montrent ensuite que le personnel avait pour consigne de ne **jamais** "
            "proposer de geste commercial avant une deuxième réclamation.",
            "L'entreprise finit par s'excuser, rembourse {amount} et change sa procédure, mais seulement "
            "après que l'affaire lui a coûté bien plus cher en image que le remboursement.",
        ],
        "lesson": [
            "Des excuses rapides et un petit remboursement auraient clos l'histoire dès le premier jour.",
            "Les clients pardonnent une panne plus facilement que le silence.",
            "Un service payé doit être rendu, ou remboursé sans attendre.",
            "Refuser un petit geste peut coûter des milliers de fois plus cher en réputation.",
        ],
        "apology": [
            "Nous regrettons la gêne occasionnée.",
            "Nous sommes désolés que le client le ressente ainsi.",
            "Nous nous sommes trompés, nous présentons nos excuses et avons remboursé chaque client.",
            "Nous ne commentons pas les cas individuels.",
        ],
        "response": [
            "L'entreprise a d'abord nié le problème, puis proposé un bon d'achat.",
            "L'entreprise a publié un court communiqué et n'a pas répondu aux autres questions.",
            "Le directeur général s'est excusé en personne et a annoncé un audit indépendant.",
        ],
        "actions": [
            "Les conseillers peuvent désormais rembourser jusqu'à {amount} sans validation.",
            "Une équipe dédiée traite toute réclamation de plus de deux semaines.",
            "Les conditions du contrat ont été réécrites en langage clair.",
        ],
        "source": [
            "Les clients de {company} attendent toujours leur remboursement",
            "Comment une {item} est devenue un désastre d'image",
            "Le régulateur ouvre une enquête sur {company}",
            "{company} s'excuse après des semaines de silence",
            "Bloqués à {city}, des passagers racontent",
        ],
        "event": [
            "L'incident se produit.",
            "Le client dépose une première réclamation.",
            "Un message sur l'affaire devient viral.",
            "La presse nationale reprend l'histoire.",
            "Le régulateur ouvre une enquête.",
            "L'entreprise répond publiquement.",
            "Le client est remboursé.",
        ],
    },
}
PUBLISHERS = {
    "en": ["The Daily Example", "Example Post", "Consumer Watch", "The Synthetic Herald", "Evening Example"],
    "fr": ["Le Quotidien d'Exemple", "Exemple Matin", "60 Millions d'Exemples", "La Gazette fictive", "Ouest-Exemple"],
}
CLAIMANTS = {
    "en": ["an analyst at Example Research", "Consumer Watch", "the company", "a regulator", "the press"],
    "fr": ["un analyste d'Example Research", "Consumer Watch", "l'entreprise", "un régulateur", "la presse"],
}
