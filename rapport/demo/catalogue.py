"""The demo shop: a home-appliance and electronics retailer with about sixty products.

Besides its price and popularity a product may have *complements* — what people buy with it or
soon after: a phone's case, screen protector and charger, a TV's soundbar and installation, an air
purifier's filter — and a *refill*, the consumable its owners buy again (the purifier's filter,
the water purifier's cartridge, the robot vacuum's brush kit, the air conditioner's cleaning).
"""

from dataclasses import dataclass

import numpy as np

# (category, name, price in yuan, popularity weight)
PRODUCTS: list[tuple[str, str, int, float]] = [
    ("Home appliances", "Air purifier AP-300 空气净化器", 1899, 3.0),
    ("Home appliances", "Air purifier AP-500 Pro 空气净化器", 3299, 1.2),
    ("Home appliances", "Robot vacuum RV-7 扫地机器人", 2499, 2.5),
    ("Home appliances", "Robot vacuum RV-9 Max 扫地机器人", 4299, 1.0),
    ("Home appliances", "Front-load washer WM-8 滚筒洗衣机", 3599, 1.5),
    ("Home appliances", "Heat-pump dryer HD-9 干衣机", 4899, 0.7),
    ("Home appliances", "Dishwasher DW-12 洗碗机", 3999, 0.9),
    ("Home appliances", "Dehumidifier DH-20 除湿机", 1299, 1.4),
    ("Home appliances", "Cordless vacuum CV-11 无线吸尘器", 2199, 2.0),
    ("Home appliances", "Split air conditioner AC-35 空调", 3299, 1.1),
    ("Home appliances", "Fridge-freezer FF-450 冰箱", 5699, 0.8),
    ("Home appliances", "Water purifier WP-600 净水器", 2799, 1.0),
    ("Kitchen", "Rice cooker RC-4 电饭煲", 699, 3.5),
    ("Kitchen", "IH rice cooker RC-5 Premium 电饭煲", 1499, 1.5),
    ("Kitchen", "Soy-milk maker SM-2 豆浆机", 459, 2.2),
    ("Kitchen", "Air fryer AF-6 空气炸锅", 499, 4.0),
    ("Kitchen", "Electric kettle EK-17 电热水壶", 199, 4.5),
    ("Kitchen", "Induction hob IH-22 电磁炉", 399, 2.0),
    ("Kitchen", "Microwave oven MO-25 微波炉", 899, 1.6),
    ("Kitchen", "Steam oven SO-40 蒸烤箱", 3899, 0.6),
    ("Kitchen", "Blender BL-15 破壁机", 1099, 1.8),
    ("Kitchen", "Coffee machine CM-3 咖啡机", 2599, 0.9),
    ("Kitchen", "Range hood RH-90 油烟机", 2999, 0.7),
    ("Kitchen", "Tea maker TM-1 煮茶器", 329, 2.1),
    ("Personal care", "Hair dryer HD-1600 吹风机", 399, 3.0),
    ("Personal care", "High-speed hair dryer HS-1 吹风机", 1999, 1.2),
    ("Personal care", "Electric toothbrush ET-5 电动牙刷", 299, 3.8),
    ("Personal care", "Water flosser WF-3 冲牙器", 349, 2.0),
    ("Personal care", "Shaver SV-9 剃须刀", 599, 2.2),
    ("Personal care", "Massage chair MC-700 按摩椅", 8999, 0.3),
    ("Personal care", "Neck massager NM-2 颈椎按摩仪", 459, 1.8),
    ("Personal care", "Smart scale SC-2 体脂秤", 169, 2.6),
    ("Phones & tablets", "Smartphone X20 128 GB 手机", 2999, 2.4),
    ("Phones & tablets", "Smartphone X20 Pro 256 GB 手机", 4999, 1.4),
    ("Phones & tablets", "Tablet T11 平板电脑", 2299, 1.3),
    ("Phones & tablets", "Smartwatch W3 智能手表", 1299, 1.9),
    ("Phones & tablets", "Fitness band B7 手环", 249, 3.2),
    ("Phones & tablets", "E-reader R6 电子书阅读器", 999, 0.9),
    ("Phones & tablets", "Laptop L14 笔记本电脑", 5999, 0.8),
    ("Audio & TV", "Wireless earbuds E2 无线耳机", 599, 3.6),
    ("Audio & TV", "Noise-cancelling headphones H9 降噪耳机", 1899, 1.3),
    ("Audio & TV", "Bluetooth speaker S5 蓝牙音箱", 399, 2.4),
    ("Audio & TV", "Soundbar SB-2 回音壁", 1599, 0.9),
    ("Audio & TV", "55-inch 4K TV 电视", 3499, 1.1),
    ("Audio & TV", "65-inch 4K TV 电视", 4999, 0.8),
    ("Audio & TV", "Projector P1 投影仪", 2699, 0.7),
    ("Accessories", "USB-C charger 65 W 充电器", 149, 4.2),
    ("Accessories", "Power bank 20 000 mAh 充电宝", 179, 3.9),
    ("Accessories", "Phone case 手机壳", 59, 4.8),
    ("Accessories", "Screen protector 钢化膜", 39, 4.4),
    ("Accessories", "Purifier filter AP-F 净化器滤网", 299, 2.8),
    ("Accessories", "Vacuum brush kit 扫地机配件", 129, 2.0),
    ("Accessories", "Water filter cartridge WP-F 滤芯", 399, 2.2),
    ("Accessories", "Smart plug 智能插座", 69, 3.0),
    ("Services", "Extended warranty, 2 years 延保服务", 399, 1.6),
    ("Services", "Installation 上门安装", 199, 1.5),
    ("Services", "Annual maintenance 年度保养", 299, 1.0),
    ("Services", "Deep cleaning of air conditioner 空调清洗", 159, 1.2),
    ("Services", "Trade-in collection 以旧换新回收", 0, 0.5),
    ("Services", "Express delivery 加急配送", 49, 1.8),
]


# product -> what is bought with it or after it (by the start of the name)
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "Air purifier AP-300": ("Purifier filter", "Extended warranty", "Smart plug"),
    "Air purifier AP-500": ("Purifier filter", "Extended warranty", "Smart plug"),
    "Robot vacuum RV-7": ("Vacuum brush kit", "Extended warranty", "Smart plug"),
    "Robot vacuum RV-9": ("Vacuum brush kit", "Extended warranty", "Smart plug"),
    "Front-load washer": ("Heat-pump dryer", "Installation", "Trade-in", "Extended warranty"),
    "Heat-pump dryer": ("Front-load washer", "Installation", "Extended warranty"),
    "Dishwasher": ("Installation", "Extended warranty"),
    "Dehumidifier": ("Air purifier AP-300", "Smart plug"),
    "Cordless vacuum": ("Vacuum brush kit",),
    "Split air conditioner": ("Installation", "Deep cleaning", "Extended warranty"),
    "Fridge-freezer": ("Trade-in", "Express delivery", "Extended warranty"),
    "Water purifier": ("Water filter cartridge", "Installation"),
    "Rice cooker": ("Soy-milk maker", "Electric kettle"),
    "IH rice cooker": ("Soy-milk maker", "Electric kettle"),
    "Soy-milk maker": ("Blender", "Rice cooker"),
    "Air fryer": ("Electric kettle", "Blender"),
    "Induction hob": ("Range hood",),
    "Steam oven": ("Range hood", "Installation"),
    "Coffee machine": ("Electric kettle",),
    "Range hood": ("Installation", "Induction hob", "Annual maintenance"),
    "Tea maker": ("Electric kettle",),
    "Hair dryer": ("Electric toothbrush", "Shaver"),
    "High-speed hair dryer": ("Electric toothbrush",),
    "Electric toothbrush": ("Water flosser",),
    "Water flosser": ("Electric toothbrush",),
    "Shaver": ("Electric toothbrush",),
    "Massage chair": ("Neck massager", "Express delivery", "Extended warranty"),
    "Neck massager": ("Smart scale",),
    "Smart scale": ("Fitness band",),
    "Smartphone X20 128": (
        "Phone case",
        "Screen protector",
        "USB-C charger",
        "Wireless earbuds",
        "Power bank",
    ),
    "Smartphone X20 Pro": (
        "Phone case",
        "Screen protector",
        "USB-C charger",
        "Wireless earbuds",
        "Smartwatch",
    ),
    "Tablet": ("USB-C charger", "Screen protector", "Power bank"),
    "Smartwatch": ("USB-C charger", "Smart scale"),
    "Fitness band": ("Smart scale",),
    "E-reader": ("Power bank",),
    "Laptop": ("USB-C charger", "Power bank", "Noise-cancelling", "Extended warranty"),
    "Wireless earbuds": ("Phone case", "Power bank"),
    "Noise-cancelling": ("Power bank",),
    "Bluetooth speaker": ("Smart plug",),
    "Soundbar": ("55-inch", "65-inch"),
    "55-inch": ("Soundbar", "Installation", "Extended warranty"),
    "65-inch": ("Soundbar", "Installation", "Extended warranty", "Express delivery"),
    "Projector": ("Bluetooth speaker", "Soundbar"),
    "USB-C charger": ("Power bank",),
    "Phone case": ("Screen protector",),
}
# product -> the consumable its owners buy again (by the start of the name)
REFILLS: dict[str, str] = {
    "Air purifier AP-300": "Purifier filter",
    "Air purifier AP-500": "Purifier filter",
    "Robot vacuum RV-7": "Vacuum brush kit",
    "Robot vacuum RV-9": "Vacuum brush kit",
    "Cordless vacuum": "Vacuum brush kit",
    "Water purifier": "Water filter cartridge",
    "Split air conditioner": "Deep cleaning",
    "Range hood": "Annual maintenance",
    "Smartphone X20 128": "Screen protector",
    "Smartphone X20 Pro": "Screen protector",
    "Tablet": "Screen protector",
}


def _index(prefix: str) -> int:
    """The product whose name starts with `prefix` (exactly one)."""
    [i] = [i for i, p in enumerate(PRODUCTS) if p[1].startswith(prefix)]
    return i


@dataclass(frozen=True)
class Catalogue:
    sku: list[str]
    name: list[str]
    category: list[str]
    price_cents: np.ndarray
    cost_cents: np.ndarray
    popularity: np.ndarray  # probabilities summing to 1
    category_index: np.ndarray  # index into `categories`
    categories: list[str]
    complements: np.ndarray  # products × most complements: product indices, -1 padding
    refill: np.ndarray  # the product's consumable (-1: none)
    refilled: np.ndarray  # bool: a consumable people buy again


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    """The products, each with a unit cost giving it a margin between 20 and 60 %."""
    categories = list(dict.fromkeys(p[0] for p in PRODUCTS))
    price = np.array([p[2] * 100 for p in PRODUCTS], dtype=np.int64)
    margin = rng.uniform(0.20, 0.60, len(PRODUCTS))
    cost = np.rint(price * (1.0 - margin)).astype(np.int64)
    weight = np.array([p[3] for p in PRODUCTS])
    return Catalogue(
        sku=[f"DEMO-{i + 1:03d}" for i in range(len(PRODUCTS))],
        name=[p[1] for p in PRODUCTS],
        category=[p[0] for p in PRODUCTS],
        price_cents=price,
        cost_cents=cost,
        popularity=weight / weight.sum(),
        category_index=np.array([categories.index(p[0]) for p in PRODUCTS]),
        categories=categories,
        complements=_complements(),
        refill=_refills(),
        refilled=np.isin(np.arange(len(PRODUCTS)), [_index(r) for r in REFILLS.values()]),
    )


def _complements() -> np.ndarray:
    widest = max(len(c) for c in COMPLEMENTS.values())
    table = np.full((len(PRODUCTS), widest), -1, dtype=np.int64)
    for anchor, others in COMPLEMENTS.items():
        table[_index(anchor), : len(others)] = [_index(o) for o in others]
    return table


def _refills() -> np.ndarray:
    refill = np.full(len(PRODUCTS), -1, dtype=np.int64)
    for owned, consumable in REFILLS.items():
        refill[_index(owned)] = _index(consumable)
    return refill
