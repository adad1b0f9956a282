"""The demo's catalogue and offers, as data: what ``flask --app demo demo seed`` puts in the database."""
from __future__ import annotations

# (id, category, price, cost, colour, name ja, name en, description ja, description en)
PRODUCTS = [
    ("healthfood", "food", 3_000, 1_200, "#6a994e", "すこやか青汁 1袋", "Sukoyaka Green Juice, 1 bag",
     "国産大麦若葉を使った毎日の青汁。1袋30包入り。3袋セットなら10%オフ。",
     "Daily green juice from Japanese barley grass. 30 sachets a bag; 10% off when you take three."),
    ("sneakers", "shoes", 12_000, 6_000, "#bc4b51", "レザースニーカー", "Leather Sneakers",
     "柔らかな本革のローカットスニーカー。毎日の街歩きに。",
     "Soft full-grain leather low-tops for walking the city every day."),
    ("spray", "shoe-care", 1_500, 500, "#3d85c6", "防水スプレー", "Waterproof Spray",
     "雨や汚れから靴を守るフッ素系の防水スプレー。", "A fluorine water repellent that keeps rain and stains off."),
    ("brush", "shoe-care", 800, 300, "#a0714f", "馬毛ブラシ", "Horsehair Brush",
     "ほこり落としに最適な、やわらかい馬毛のブラシ。", "A soft horsehair brush for daily dusting."),
    ("cleaner", "shoe-care", 1_200, 400, "#4ea8a0", "スニーカークリーナー", "Sneaker Cleaner",
     "泡で汚れを浮かせて落とすクリーナー。", "A foaming cleaner that lifts dirt from leather and canvas."),
    ("camera", "camera", 65_000, 50_000, "#3a3a3c", "ミラーレスカメラ", "Mirrorless Camera",
     "2400万画素のコンパクトなミラーレス一眼。", "A compact 24-megapixel mirrorless camera."),
    ("lens", "camera", 28_000, 20_000, "#5b5f97", "単焦点レンズ 35mm", "35mm Prime Lens",
     "明るいF1.8、スナップにちょうどいい画角。", "A bright f/1.8 prime with a natural field of view."),
    ("tripod", "camera", 6_000, 3_000, "#7a7d84", "トラベル三脚", "Travel Tripod",
     "カバンに入る軽量アルミ三脚。", "A light aluminium tripod that fits in your bag."),
    ("sdcard", "camera", 3_000, 1_000, "#e09f3e", "SDカード 128GB", "SD Card 128GB",
     "4K動画にも対応する高速SDカード。", "A fast card, ready for 4K video."),
    ("laptop", "computers", 120_000, 96_000, "#577590", "ノートPC 14インチ", "14-inch Laptop",
     "軽くて長持ちバッテリーの14インチノート。", "A light 14-inch laptop with all-day battery."),
    ("laptop-pro", "computers", 160_000, 128_000, "#2b4162", "ノートPC Pro 16インチ", "16-inch Laptop Pro",
     "大画面と高性能チップのハイスペックモデル。", "The high-spec model: a bigger screen and a faster chip."),
    ("mouse", "computers", 3_500, 1_500, "#90a4ae", "ワイヤレスマウス", "Wireless Mouse",
     "静音クリックのワイヤレスマウス。", "A quiet-click wireless mouse."),
    ("keyboard", "computers", 7_000, 3_500, "#6d597a", "メカニカルキーボード", "Mechanical Keyboard",
     "打ち心地のよい静音メカニカルキーボード。1台から10%オフ。",
     "A quiet mechanical keyboard that is a pleasure to type on. 10% off, even for one."),
    ("serum", "skincare", 4_800, 1_600, "#d4a5a5", "はなみず 美容液", "Hanamizu Serum",
     "ヒアルロン酸配合のしっとり美容液。", "A hydrating serum with hyaluronic acid."),
    ("toner", "skincare", 3_200, 1_000, "#b5c9c3", "はなみず 化粧水", "Hanamizu Toner",
     "同じシリーズの化粧水。美容液と一緒にどうぞ。", "The toner from the same line; made to go with the serum."),
    ("socks", "accessories", 1_000, 300, "#f2cc8f", "リブソックス", "Ribbed Socks",
     "綿混のやわらかいリブソックス。2足買うと1足無料（お一人様2足まで）。",
     "Soft cotton-blend ribbed socks. Buy 2, get 1 free (up to 2 free pairs an order)."),
    ("cap", "accessories", 2_500, 900, "#81b29a", "コットンキャップ", "Cotton Cap",
     "洗いざらしのコットンキャップ。", "A washed cotton cap."),
    ("tote", "accessories", 2_000, 700, "#e07a5f", "キャンバストート", "Canvas Tote",
     "厚手キャンバスのトートバッグ。", "A heavy canvas tote bag."),
    ("scarf", "accessories", 3_500, 1_500, "#9c6644", "ウールスカーフ", "Wool Scarf",
     "ただいま入荷待ちです。", "Back in stock soon."),
    ("ecobag", "novelty", 1_000, 400, "#c9ada7", "オリジナルエコバッグ", "Original Eco Bag",
     "20,000円以上のお買い上げで1つプレゼント（ノベルティ、なくなり次第終了）。",
     "Our novelty: one free with orders from ¥20,000, while stocks last."),
]

#: Products given away (ノベルティ): never part of the demo's past orders.
GIFT_PRODUCTS = {"ecobag"}

OUT_OF_STOCK = {"scarf"}

CATEGORIES = ["food", "shoes", "shoe-care", "camera", "computers", "skincare", "accessories"]

CUSTOMERS = [
    ("hanako", "山田 花子", "Hanako Yamada", "hanako@example.com"),
    ("ken", "佐藤 健", "Ken Sato", "ken@example.com"),
]

# (label ja, label en, price, {product id: quantity}, margin floor in percent): a price is 10% off
# (``discount_percent``) or an amount in yen off or for the set (``pricing_mode`` and ``pricing_value``).
BUNDLES = [
    ("3袋セット 10%オフ", "3-bag set, 10% off", {"discount_percent": 10}, {"healthfood": 3}, None),
    ("シューケア3点セット", "Shoe-care trio", {"pricing_mode": "fixed_price", "pricing_value": 2_900},
     {"spray": 1, "brush": 1, "cleaner": 1}, None),
    ("スニーカー＋シューケアセット", "Sneakers + shoe-care set", {"pricing_mode": "amount_off", "pricing_value": 1_500},
     {"sneakers": 1, "spray": 1, "brush": 1, "cleaner": 1}, None),
    ("カメラスターターキット", "Camera starter kit", {"pricing_mode": "amount_off", "pricing_value": 5_000},
     {"camera": 1, "lens": 1, "tripod": 1, "sdcard": 1}, 10),
    ("ノートPCデスクセット", "Laptop desk set", {"pricing_mode": "amount_off", "pricing_value": 3_000},
     {"laptop": 1, "mouse": 1, "keyboard": 1}, 5),
    ("美容液＋化粧水セット", "Serum + toner set", {"pricing_mode": "fixed_price", "pricing_value": 7_200},
     {"serum": 1, "toner": 1}, None),
    # Inside and out: what a 定期 of green juice is offered for its next delivery (renewal add-ons).
    ("青汁＋美容液 うちそとケア", "Green juice + serum care pair", {"pricing_mode": "amount_off", "pricing_value": 500},
     {"healthfood": 1, "serum": 1}, None),
    # From one unit: a one-item "set" is a discount on each keyboard (この商品10%オフ).
    ("キーボード単品10%オフ", "Keyboard: 10% off", {"discount_percent": 10}, {"keyboard": 1}, None),
]

# (label ja, label en, categories, {minimum quantity: percent off})
VOLUMES = [
    ("小物まとめ買い", "Accessories mix & match", ["accessories"], {2: 10, 3: 20}),
]

# Buy X get Y: (label ja, label en, terms of plugin.models.BuyGetRule). "お一人様2足まで": at most 2 free pairs.
BUY_GETS = [
    ("ソックス2足買うと1足無料", "Socks: buy 2, get 1 free",
     {"buy_product_ids": ["socks"], "buy_quantity": 2, "get_quantity": 1, "discount_percent": 100, "max_units": 2}),
]

# (label ja, label en, currency, threshold, fee, {reduced-fee step threshold: its fee},
#  {reward threshold: (reward label ja, reward label en)}). The ¥300 step starts at ¥4,500, above every cart
# below ¥5,000 whose total the demo's tests price (¥4,000 and under pay ¥600), so their totals stand.
SHIPPING = [
    ("4,500円以上で送料300円、5,000円以上で送料無料", "Shipping ¥300 from ¥4,500, free from ¥5,000", "JPY", 5_000, 600,
     {4_500: 300}, {}),
]

# Spend discounts: (label ja, label en, currency, [(threshold, amount off or None, percent off or None)]).
# Above every cart the demo's tests price, so their totals stand; the cart bar names the next step.
SPEND = [
    ("10万円以上で3,000円引き、20万円以上で5%オフ", "¥3,000 off from ¥100,000, 5% off from ¥200,000", "JPY",
     [(100_000, 3_000, None), (200_000, None, 5)]),
]

# Free gifts (ノベルティ): (label ja, label en, currency, gift product, spend threshold, products that earn it).
GIFTS = [
    ("ノベルティ: オリジナルエコバッグ", "Free gift: Original Eco Bag", "JPY", "ecobag", 20_000, []),
]

#: What shoppers often buy together, for the past orders (the plugin mines them).
PAIRS = [
    [("camera", 1), ("sdcard", 1)],
    [("sneakers", 1), ("spray", 1)],
    [("serum", 1), ("toner", 1)],
    [("laptop", 1), ("mouse", 1)],
    [("healthfood", 3)],
    [("socks", 2), ("cap", 1)],
]

#: Thank-you page offers (Tsuide's post-purchase offers), shown once right after an order: ``discount_percent``
#: off, or ``pricing_mode`` and ``pricing_value`` in yen. An order gets at most one, and a declined offer's
#: ``downsell`` once after it.
#: What the demo's 定期 plans say about payment and cancelling, shown before the button (特定商取引法).
SUBSCRIPTION_TERMS = {
    "payment_terms": "各回のお届けの発送時に、今回と同じカードで決済します",
    "payment_terms_en": "Each delivery is charged to today's card when it ships",
    "cancel_terms": "次回お届け日の7日前までに、「ご注文履歴」の定期便ページまたはお電話（0120-000-000）で解約できます",
    "cancel_terms_en": "Cancel on the subscription page under Orders, or by phone (0120-000-000), "
                       "up to 7 days before the next delivery",
}

#: 定期 bought directly (単品 or 定期 on the product page): each later delivery ``discount_percent`` off the list
#: price, every ``cycle_every`` ``cycle_unit``, at least ``min_deliveries``; the first delivery is this order,
#: at the checkout's price. The same terms as the thank-you switch.
CHECKOUT_PLANS = {
    "healthfood": {"cycle_every": 1, "cycle_unit": "month", "discount_percent": 10, "min_deliveries": 3,
                   **SUBSCRIPTION_TERMS},
}

THANK_YOU_OFFERS = [
    {
        "kind": "add_on", "label": "シューケアセット", "label_en": "Shoe-care set",
        "accept_label": "追加する", "accept_label_en": "Add to my order",
        "decline_label": "今回は見送る", "decline_label_en": "No thanks",
        "trigger_products": ["sneakers"], "items": {"spray": 1, "brush": 1, "cleaner": 1},
        "discount_percent": 20,
        "downsell": {
            "kind": "add_on", "label": "防水スプレーだけでも", "label_en": "Just the waterproof spray",
            "accept_label": "追加する", "accept_label_en": "Add to my order",
            "decline_label": "今回は見送る", "decline_label_en": "No thanks",
            "trigger_products": ["sneakers"], "items": {"spray": 1},
            "discount_percent": 10,
        },
    },
    {
        # 定期: one bag (where the 3-bag upgrade is too much) may switch to a monthly delivery at 10% off.
        "kind": "subscribe", "label": "毎月お届けの定期便なら10%オフ", "label_en": "Monthly delivery, 10% off",
        "trigger_products": ["healthfood"], "replaces": "healthfood", "items": {},
        "discount_percent": 10,
        "plan": {"cycle_every": 1, "cycle_unit": "month", "min_deliveries": 3, **SUBSCRIPTION_TERMS},
        "downsell": {
            "kind": "subscribe", "label": "3ヶ月ごとのお届けなら", "label_en": "Or every 3 months",
            "trigger_products": ["healthfood"], "replaces": "healthfood", "items": {},
            "discount_percent": 5,
            "plan": {"cycle_every": 3, "cycle_unit": "month", **SUBSCRIPTION_TERMS},
        },
    },
    {
        # Only shown where the extra charge stays within TSUIDE_UPSELL_MAX_RATIO of the order: not for one bag alone.
        "kind": "upgrade", "label": "3袋セットにアップグレード", "label_en": "Upgrade to the 3-bag set",
        "accept_label": "アップグレードする", "accept_label_en": "Upgrade my order",
        "trigger_products": ["healthfood"], "replaces": "healthfood", "items": {"healthfood": 3},
        "discount_percent": 10,
    },
    {
        "kind": "add_on", "label": "先着100名様：SDカードを15%オフで", "label_en": "First 100: an SD card at 15% off",
        "trigger_categories": ["camera"], "items": {"sdcard": 1},
        "discount_percent": 15, "global_cap": 100,
    },
    {
        "kind": "upgrade", "label": "ノートPC Pro に1万円引きでアップグレード",
        "label_en": "Upgrade to the Laptop Pro for ¥10,000 less",
        "accept_label": "アップグレードする", "accept_label_en": "Upgrade my order",
        "trigger_products": ["laptop"], "replaces": "laptop", "items": {"laptop-pro": 1},
        "pricing_mode": "amount_off", "pricing_value": 10_000,
    },
]

#: A/B tests the demo runs, by the label of the bundle or thank-you offer they test. The first variant sets
#: nothing: it is the control, the offer as configured.
AB_TESTS = {
    "シューケア3点セット": [
        {"name": "A"},
        {"name": "B", "label": "3点まとめて¥2,700", "label_en": "All three for just ¥2,700",
         "button_label": "3点まとめて追加", "button_label_en": "Add all three", "pricing_value": 2_700},
    ],
    "シューケアセット": [
        {"name": "A"},
        {"name": "B", "label": "雨の日も安心：シューケアセット", "label_en": "Rain-proof them: the shoe-care set",
         "button_label": "お手入れセットも追加", "button_label_en": "Yes, protect them"},
    ],
}
