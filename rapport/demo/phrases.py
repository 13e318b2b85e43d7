"""What demo customers say and what staff write down, in each customer's language.

Keys are rapport.customers.choices.Language values. In Slovak, `{a}` and `{y}` agree with the
customer's gender ("Pýtal{a} sa" → "Pýtal sa" / "Pýtala sa"; "spokojn{y}" → "spokojný" / "spokojná").
Family events carry `{month}`, filled with the month the event falls in.
"""

LANGUAGES = ("zh-hans", "zh-hant", "sk", "en")

MONTHS = {
    "zh-hans": [f"{m}月" for m in range(1, 13)],
    "zh-hant": [f"{m}月" for m in range(1, 13)],
    # Slovak uses the locative after "v": v máji, v septembri.
    "sk": [
        "januári",
        "februári",
        "marci",
        "apríli",
        "máji",
        "júni",
        "júli",
        "auguste",
        "septembri",
        "októbri",
        "novembri",
        "decembri",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

# Remembered details by kind (rapport.communications.choices.DetailKind).
DETAILS: dict[str, dict[str, list[str]]] = {
    "preference": {
        "zh-hans": [
            "希望晚上6点以后送货",
            "喜欢周末接电话",
            "偏爱深蓝色",
            "午休时间不要打电话",
            "习惯用微信沟通，不喜欢接电话",
            "喜欢先到门店看实物再下单",
            "对羊毛过敏，送礼不要选羊毛制品",
            "需要开具增值税专用发票",
            "送货前请提前一天短信通知",
            "家里有老人，上门安装请尽量安静",
        ],
        "zh-hant": [
            "希望晚上6點以後送貨",
            "喜歡週末接電話",
            "偏愛深藍色",
            "午休時間不要打電話",
            "習慣用LINE聯絡，不喜歡接電話",
            "喜歡先到門市看實品再下單",
            "對羊毛過敏，送禮不要選羊毛製品",
            "發票需要打統一編號",
            "送貨前請提前一天簡訊通知",
            "家中有長輩，到府安裝請盡量安靜",
        ],
        "sk": [
            "Preferuje doručenie po 18:00",
            "Radšej volať cez víkend",
            "Obľúbená farba: tmavomodrá",
            "Nevolať cez obed",
            "Platí radšej kartou",
            "Chce faktúru na firmu",
            "Je alergick{y} na vlnu – žiadne vlnené darčeky",
            "Uprednostňuje komunikáciu e-mailom",
            "Pred doručením poslať SMS deň vopred",
            "Chce, aby technik prišiel v doobedňajších hodinách",
        ],
        "en": [
            "Prefers delivery after 6 pm",
            "Prefers calls at the weekend",
            "Favourite colour: navy blue",
            "Please do not call at lunchtime",
            "Prefers to pay by card",
            "Needs invoices in the company's name",
            "Allergic to wool – no wool items as gifts",
            "Prefers email to phone calls",
            "Text the day before delivery",
            "Wants technicians to come in the morning",
        ],
    },
    "family_event": {
        "zh-hans": [
            "女儿{month}结婚",
            "儿子九月上大学",
            "预产期在{month}",
            "{month}搬新家",
            "父母{month}结婚四十周年",
            "{month}退休",
            "孙子{month}满月",
        ],
        "zh-hant": [
            "女兒{month}結婚",
            "兒子九月上大學",
            "預產期在{month}",
            "{month}搬新家",
            "父母{month}結婚四十週年",
            "{month}退休",
            "孫子{month}滿月",
        ],
        "sk": [
            "Dcéra sa vydáva v {month}",
            "Syn ide v septembri na vysokú školu",
            "V {month} čakajú bábätko",
            "V {month} sa sťahuje do nového bytu",
            "Rodičia majú v {month} 40. výročie svadby",
            "V {month} ide do dôchodku",
            "Vnučka má v {month} krstiny",
        ],
        "en": [
            "Daughter's wedding in {month}",
            "Son starts university in September",
            "Expecting a baby in {month}",
            "Moving house in {month}",
            "Parents' 40th wedding anniversary in {month}",
            "Retiring in {month}",
            "Granddaughter's christening in {month}",
        ],
    },
    "request": {
        "zh-hans": [
            "问起新款什么时候上市",
            "想要一份办公室批量采购的报价",
            "滤网到货后请通知",
            "对延保服务感兴趣",
            "咨询旧洗衣机以旧换新",
            "希望周六上门安装",
            "想参加下一次新品体验会",
        ],
        "zh-hant": [
            "問起新款什麼時候上市",
            "想要一份辦公室大量採購的報價",
            "濾網到貨後請通知",
            "對延長保固有興趣",
            "詢問舊洗衣機舊換新",
            "希望週六到府安裝",
            "想參加下一次新品體驗會",
        ],
        "sk": [
            "Pýtal{a} sa na nový model",
            "Chce cenovú ponuku pre kanceláriu",
            "Dať vedieť, keď budú filtre opäť na sklade",
            "Má záujem o predĺženú záruku",
            "Zaujíma sa o výkup starej práčky",
            "Chce montáž v sobotu",
            "Chce pozvánku na ďalšiu predvádzaciu akciu",
        ],
        "en": [
            "Asked about the new model",
            "Wants a quote for the office",
            "Tell them when the filters are back in stock",
            "Interested in the extended warranty",
            "Asked about trading in the old washing machine",
            "Wants installation on a Saturday",
            "Would like an invitation to the next product launch",
        ],
    },
    "concern": {
        "zh-hans": [
            "上次送货延误，不太满意",
            "担心洗碗机噪音太大",
            "觉得安装师傅态度不好",
            "觉得手机App不好用",
            "对价格比较敏感，常问有没有优惠",
        ],
        "zh-hant": [
            "上次送貨延誤，不太滿意",
            "擔心洗碗機噪音太大",
            "覺得安裝師傅態度不好",
            "覺得手機App不好用",
            "對價格比較敏感，常問有沒有優惠",
        ],
        "sk": [
            "Minule bol{a} nespokojn{y} s oneskoreným doručením",
            "Obáva sa hluku umývačky riadu",
            "Montážnici podľa zákazníka neboli ochotní",
            "Aplikácia je pre zákazníka zložitá",
            "Citliv{y} na cenu, často sa pýta na zľavy",
        ],
        "en": [
            "Was unhappy with the late delivery last time",
            "Worried the dishwasher will be too loud",
            "Found the installation team unfriendly",
            "Finds the mobile app hard to use",
            "Price-sensitive; often asks about discounts",
        ],
    },
}

# Interactions: (subject, summary) by rapport.communications.choices.InteractionKind.
INTERACTIONS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "call": {
        "zh-hans": [
            ("送货时间", "来电确认送货时间，约定周四下午送达"),
            ("回访", "购买后电话回访，产品使用正常"),
            ("生日问候", "打电话祝贺生日，客户很高兴"),
            ("活动邀请", "邀请参加年终客户答谢会，客户表示会来"),
        ],
        "zh-hant": [
            ("送貨時間", "來電確認送貨時間，約定週四下午送達"),
            ("回訪", "購買後電話回訪，產品使用正常"),
            ("生日問候", "打電話祝賀生日，客戶很開心"),
            ("活動邀請", "邀請參加年終客戶感謝會，客戶表示會來"),
        ],
        "sk": [
            ("Termín doručenia", "Telefonicky potvrdený termín doručenia vo štvrtok popoludní"),
            ("Spätný telefonát", "Telefonát po nákupe, výrobok funguje bez problémov"),
            ("Blahoželanie", "Zavolali sme k narodeninám, zákazník sa potešil"),
            ("Pozvánka", "Pozvánka na koncoročné stretnutie so zákazníkmi, prisľúbil{a} účasť"),
        ],
        "en": [
            ("Delivery date", "Called to confirm the delivery date: Thursday afternoon"),
            ("Follow-up", "Follow-up call after the purchase; everything works"),
            ("Birthday", "Called with birthday wishes; the customer was pleased"),
            ("Invitation", "Invited to the year-end customer evening; will come"),
        ],
    },
    "visit": {
        "zh-hans": [
            ("门店到访", "到门店比较了几款空气净化器"),
            ("上门服务", "上门做年度保养，清洗了空调滤网"),
        ],
        "zh-hant": [
            ("門市來訪", "到門市比較了幾款空氣清淨機"),
            ("到府服務", "到府做年度保養，清洗了冷氣濾網"),
        ],
        "sk": [
            ("Návšteva predajne", "V predajni porovnával{a} niekoľko čističiek vzduchu"),
            ("Servis u zákazníka", "Ročná údržba u zákazníka, vyčistené filtre klimatizácie"),
        ],
        "en": [
            ("Store visit", "Came to the store to compare air purifiers"),
            ("Service visit", "Annual maintenance at home; cleaned the air-conditioner filters"),
        ],
    },
    "email": {
        "zh-hans": [("报价", "通过邮件发送了报价单"), ("使用说明", "发送了产品保养说明")],
        "zh-hant": [("報價", "透過電子郵件寄送了報價單"), ("使用說明", "寄送了產品保養說明")],
        "sk": [
            ("Cenová ponuka", "Cenová ponuka zaslaná e-mailom"),
            ("Návod", "Zaslaný návod na údržbu výrobku"),
        ],
        "en": [("Quote", "Sent the quote by email"), ("Care guide", "Sent the product care guide")],
    },
    "chat": {
        "zh-hans": [
            ("保修咨询", "在线咨询保修期限，已解答"),
            ("订单查询", "询问订单物流状态，已告知单号"),
        ],
        "zh-hant": [
            ("保固諮詢", "線上詢問保固期限，已解答"),
            ("訂單查詢", "詢問訂單物流狀態，已告知單號"),
        ],
        "sk": [
            ("Záruka", "V chate sa pýtal{a} na dĺžku záruky, zodpovedané"),
            ("Stav objednávky", "Otázka na stav zásielky, poslané sledovacie číslo"),
        ],
        "en": [
            ("Warranty", "Asked in chat how long the warranty lasts; answered"),
            ("Order status", "Asked where the parcel is; sent the tracking number"),
        ],
    },
    "social": {
        "zh-hans": [("公众号留言", "在公众号留言建议增加夜间送货")],
        "zh-hant": [("粉專留言", "在粉絲專頁留言建議增加夜間送貨")],
        "sk": [("Facebook", "Na Facebooku navrhol{a} doručovanie aj večer")],
        "en": [("Social media", "Suggested evening deliveries in a comment on our page")],
    },
    "letter": {
        "zh-hans": [("会员刊物", "寄出季度会员刊物")],
        "zh-hant": [("會員刊物", "寄出季度會員刊物")],
        "sk": [("Časopis", "Poslaný štvrťročný zákaznícky časopis")],
        "en": [("Newsletter", "Posted the quarterly customer magazine")],
    },
    "event": {
        "zh-hans": [("新品体验会", "参加了新品体验会，对扫地机器人很感兴趣")],
        "zh-hant": [("新品體驗會", "參加了新品體驗會，對掃地機器人很有興趣")],
        "sk": [
            (
                "Predvádzacia akcia",
                "Zúčastnil{a} sa predvádzacej akcie, zaujíma sa o robotický vysávač",
            )
        ],
        "en": [("Product launch", "Came to the product launch; keen on the robot vacuum")],
    },
}

HOBBIES = {
    "zh-hans": [
        "摄影",
        "太极拳",
        "广场舞",
        "钓鱼",
        "书法",
        "烹饪",
        "旅游",
        "跑步",
        "羽毛球",
        "围棋",
        "养花",
        "喝茶",
        "唱歌",
        "追剧",
        "游泳",
    ],
    "zh-hant": [
        "攝影",
        "太極拳",
        "登山",
        "釣魚",
        "書法",
        "烹飪",
        "旅遊",
        "慢跑",
        "羽毛球",
        "圍棋",
        "園藝",
        "品茶",
        "唱歌",
        "追劇",
        "游泳",
    ],
    "sk": [
        "turistika",
        "záhradkárčenie",
        "hokej",
        "futbal",
        "varenie",
        "čítanie",
        "lyžovanie",
        "bicyklovanie",
        "rybárčenie",
        "fotografovanie",
        "hubárčenie",
        "tanec",
        "plávanie",
        "šach",
        "víno",
    ],
    "en": [
        "gardening",
        "football",
        "cooking",
        "reading",
        "hiking",
        "cycling",
        "photography",
        "golf",
        "running",
        "board games",
        "travel",
        "baking",
        "yoga",
        "fishing",
        "music",
    ],
}

PERSONALITY = {
    "zh-hans": [
        "性格爽快，决定很快",
        "比较谨慎，喜欢多比较",
        "注重细节",
        "健谈，喜欢聊家常",
        "不喜欢被推销",
        "看重售后服务",
    ],
    "zh-hant": [
        "個性爽快，決定很快",
        "比較謹慎，喜歡多比較",
        "注重細節",
        "健談，喜歡聊家常",
        "不喜歡被推銷",
        "重視售後服務",
    ],
    "sk": [
        "Rozhoduje sa rýchlo",
        "Opatrn{y}, rád{a} porovnáva",
        "Dbá na detaily",
        "Zhovorčiv{y}",
        "Nemá rád{a} nátlak pri predaji",
        "Kladie dôraz na servis",
    ],
    "en": [
        "Decides quickly",
        "Careful; likes to compare",
        "Attentive to detail",
        "Chatty and friendly",
        "Dislikes a hard sell",
        "Values after-sales service",
    ],
}

FAMILY = {
    "zh-hans": [
        "已婚，有一个女儿",
        "已婚，有两个孩子",
        "单身",
        "和父母同住",
        "已婚，孩子在外地上学",
        "新婚",
    ],
    "zh-hant": [
        "已婚，有一個女兒",
        "已婚，有兩個孩子",
        "單身",
        "和父母同住",
        "已婚，孩子在外地念書",
        "新婚",
    ],
    "sk": [
        "V manželstve, dve deti",
        "Slobodn{y}",
        "Žije s rodičmi",
        "Manželia, deti už bývajú samostatne",
        "Jedno malé dieťa",
        "Novomanželia",
    ],
    "en": [
        "Married, two children",
        "Single",
        "Lives with parents",
        "Married; children have left home",
        "One young child",
        "Recently married",
    ],
}

RETURN_REASONS = {
    "zh-hans": ["尺寸不合适", "到货即损坏", "颜色与图片不符", "不想要了", "运输途中损坏"],
    "zh-hant": ["尺寸不合適", "到貨即損壞", "顏色與圖片不符", "不想要了", "運送途中損壞"],
    "sk": [
        "Nesprávna veľkosť",
        "Poškodené pri doručení",
        "Farba nezodpovedá fotografii",
        "Zákazník si to rozmyslel",
        "Poškodené počas prepravy",
    ],
    "en": [
        "Wrong size",
        "Faulty on arrival",
        "Colour not as pictured",
        "Changed their mind",
        "Damaged in transit",
    ],
}

JOB_TITLES = {
    "decision_maker": {
        "zh-hans": "总经理",
        "zh-hant": "總經理",
        "sk": "konateľ",
        "en": "Managing director",
    },
    "purchaser": {
        "zh-hans": "采购经理",
        "zh-hant": "採購經理",
        "sk": "nákupca",
        "en": "Purchasing manager",
    },
    "user": {
        "zh-hans": "行政主管",
        "zh-hant": "行政主管",
        "sk": "vedúci prevádzky",
        "en": "Office manager",
    },
    "finance": {
        "zh-hans": "财务主管",
        "zh-hant": "財務主管",
        "sk": "finančný riaditeľ",
        "en": "Finance manager",
    },
    "other": {
        "zh-hans": "IT工程师",
        "zh-hant": "IT工程師",
        "sk": "IT technik",
        "en": "IT engineer",
    },
}

INDUSTRIES = {
    "zh-hans": ["餐饮", "酒店", "教育培训", "医疗诊所", "物业管理", "软件", "零售"],
    "zh-hant": ["餐飲", "飯店", "補習教育", "診所", "物業管理", "軟體", "零售"],
    "sk": [
        "gastronómia",
        "hotelierstvo",
        "vzdelávanie",
        "zdravotníctvo",
        "správa budov",
        "softvér",
        "maloobchod",
    ],
    "en": [
        "restaurants",
        "hotels",
        "education",
        "healthcare",
        "facilities management",
        "software",
        "retail",
    ],
}


def agree(text: str, *, female: bool) -> str:
    """Fill the Slovak gender endings (other languages have no placeholders)."""
    return text.replace("{a}", "a" if female else "").replace("{y}", "á" if female else "ý")
