/**
 * Documents for invoice-triage: an invoice above the approval threshold, one below it, and a
 * receipt. The offline rules recognise each by its number; a real model reads any document.
 */

/** Northwind's invoice: 2,475.20 EUR, above the threshold, so finance approves it. */
export const LARGE_INVOICE = `Northwind Traders GmbH
Hafenstrasse 12, 20457 Hamburg, Germany

INVOICE
Invoice No.: INV-2291
Date: 2026-11-02
Bill to: Baton Examples Ltd, accounts payable

Description                                        Qty   Unit price     Amount
Workflow platform subscription, annual (10 seats)    1     1,800.00   1,800.00
Onboarding workshop (half day)                        1       280.00     280.00

Subtotal                                                              2,080.00
VAT 19%                                                                 395.20
Amount due (EUR)                                                      2,475.20

Payment terms: 30 days net. IBAN DE89 3704 0044 0532 0130 00`;

/** Blue Bottle's invoice: 86.40 EUR, approved by policy. */
export const SMALL_INVOICE = `Blue Bottle Office Supplies Ltd
4 Market Row, Bristol BS1 4DJ, United Kingdom

INVOICE
Invoice No.: INV-0457
Date: 2026-11-05

Printer paper A4, box of 5 reams      2 x 24.00    48.00
Whiteboard markers, pack of 12        3 x  8.00    24.00

Subtotal                                           72.00
VAT 20%                                            14.40
Amount due (EUR)                                   86.40

Payment terms: 14 days.`;

/** A café receipt: not an invoice, so nothing is extracted or posted. */
export const RECEIPT = `Café Lumen, 8 Rue des Arts, Lyon
RECEIPT #58213   2026-11-06 12:41

2 x Espresso          5.00
1 x Croissant         2.80
1 x Sparkling water   5.00

TOTAL EUR            12.80
Paid by card ****4417. Thank you!`;
