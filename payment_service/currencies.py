"""ISO 4217 active currency codes a payment may be made in.

From ISO 4217 List One (amendments up to 2025): circulating national and regional currencies.
Left out on purpose, because no card payment is made in them: fund and unit-of-account codes
(BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, XBA-XBD, XDR, XSU, XUA), precious metals (XAG, XAU,
XPD, XPT), the testing code XTS and the "no currency" code; and withdrawn codes such as HRK (euro since
2023), SLL (replaced by SLE), ZWL (replaced by ZWG) and ANG (replaced by XCG).
"""

ISO_4217_CODES = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN
    BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK
    DJF DKK DOP DZD
    EGP ERN ETB EUR
    FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF
    IDR ILS INR IQD IRR ISK
    JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD
    OMR
    PAB PEN PGK PHP PKR PLN PYG
    QAR
    RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS
    VED VES VND VUV
    WST
    XAF XCD XCG XOF XPF
    YER
    ZAR ZMW ZWG
    """.split()
)
