import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { dataConfigSchema, ingestFile, readRawBars } from '../../src/data/ingest.js'
import { shownText } from '../../src/data/ingest-csv.js'
import { SAMPLE, tempDir, tempFile, zipArchive } from '../helpers.js'

const HEADER = 'ts_utc,open,high,low,close,volume\n'
const ROWS = '2023-08-01T00:00:00Z,10,11,9,10.5,100\n2023-08-01T00:01:00Z,10.5,10.7,10.1,10.2,50\n'

const options = (over: Record<string, unknown> = {}) => dataConfigSchema.parse(over)

/** Assert that reading `path` fails with a message naming the file and matching `pattern`. */
async function rejects(path: string, pattern: RegExp, over: Record<string, unknown> = {}) {
  await assert.rejects(readRawBars(path, options(over)), (err: Error) => {
    assert.ok(err.message.includes(path), `message names the file: ${err.message}`)
    assert.match(err.message, pattern)
    return true
  })
}

test('reads the gzipped sample: 175,680 bars with volume, in order', async () => {
  const raw = await readRawBars(SAMPLE)
  assert.equal(raw.length, 175_680)
  assert.equal(raw.ts[0], Date.parse('2023-08-01T00:00:00Z'))
  assert.equal(raw.ts[raw.length - 1], Date.parse('2023-11-30T23:59:00Z'))
  assert.equal(raw.open[0], 4.255)
  assert.equal(raw.volume[0], 25259.1)
  assert.equal(raw.sourceRow[0], 2)
  assert.equal(raw.hasVolume, true)
})

test('plain CSV, CRLF, epoch seconds and milliseconds, custom column names and a source timezone', async () => {
  const a = await readRawBars(tempFile('a.csv', (HEADER + ROWS).replace(/\n/g, '\r\n')))
  assert.deepEqual([...a.close], [10.5, 10.2])
  const s = await readRawBars(tempFile('s.csv', 'time,o,h,l,c,v\n1690848000,1,2,1,2,5\n1690848060,2,2,1,1,5\n'))
  assert.deepEqual([...s.ts], [1690848000000, 1690848060000])
  const ms = await readRawBars(tempFile('ms.csv', 'open_time,open,high,low,close\n1690848000000,1,2,1,2\n'))
  assert.equal(ms.ts[0], 1690848000000)
  assert.equal(ms.hasVolume, false)
  assert.ok(Number.isNaN(ms.volume[0]))
  const mapped = await readRawBars(
    tempFile('m.csv', 'Date,Px_O,Px_H,Px_L,Px_C\n2019-01-15 09:30:00,1,2,1,2\n'),
    options({ columns: { ts: 'Date', open: 'Px_O', high: 'Px_H', low: 'Px_L', close: 'Px_C' }, timestamp: { timezone: 'America/New_York' } }),
  )
  assert.equal(mapped.ts[0], Date.parse('2019-01-15T14:30:00Z'))
})

test('line breaks: a lone CR (old Mac) as well as LF and CRLF, also when a CRLF is split between read chunks', async () => {
  const cr = await readRawBars(tempFile('mac.csv', (HEADER + ROWS).replace(/\n/g, '\r')))
  assert.deepEqual([...cr.close], [10.5, 10.2])
  assert.deepEqual([...cr.sourceRow], [2, 3])
  const crGz = await readRawBars(tempFile('mac.csv.gz', (HEADER + ROWS).replace(/\n/g, '\r')))
  assert.deepEqual([...crGz.close], [10.5, 10.2])
  // The file is read in 64 KiB chunks: pad one line's volume with zeros so its CR is the chunk's last byte.
  const line = (i: number, volume = '1') => `${new Date(Date.UTC(2023, 7, 1) + i * 60_000).toISOString()},1,2,1,2,${volume}\r\n`
  let text = HEADER.replace('\n', '\r\n')
  let i = 0
  while (text.length + line(i).length < 65_536 - 60) text += line(i++)
  text += line(i, '1'.padStart(65_538 - text.length - line(i).length, '0'))
  assert.equal(text.indexOf('\r\n', 65_530), 65_535)
  text += line(++i)
  const split = await readRawBars(tempFile('split.csv', text))
  assert.equal(split.length, i + 1)
  assert.equal(split.sourceRow[i], i + 2) // no line counted twice or lost
})

test('bad input: a line longer than 64 KiB is refused at once, naming the line', async () => {
  const path = tempFile('long.csv', HEADER + ROWS + '9'.repeat(10 * 1024 * 1024) + '\n' + ROWS)
  const started = performance.now()
  await rejects(path, /:4: line is longer than 64 KiB without a line break/)
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`)
  await rejects(tempFile('long.csv.gz', 'x'.repeat(100_000)), /:1: line is longer than 64 KiB/)
})

test('RFC 4180 quoting: quoted fields may hold the delimiter and doubled quotes; quoted numbers may group thousands', async () => {
  const yahoo = await readRawBars(
    tempFile(
      'yahoo.csv',
      'ts_utc,"open","high",low,close,"vol ""base"""\n' +
        '2023-08-01T00:00:00Z,"1,234.56","1,240.00",1230,"1,235.5","12,345"\n' +
        '"2023-08-01T00:01:00Z",1235.5, "-1,000",1230,1231,7\n',
    ),
    options({ columns: { volume: 'vol "base"' } }),
  )
  assert.deepEqual([...yahoo.open], [1234.56, 1235.5])
  assert.deepEqual([...yahoo.high], [1240, -1000])
  assert.deepEqual([...yahoo.close], [1235.5, 1231])
  assert.deepEqual([...yahoo.volume], [12345, 7])
  // Grouping is read only inside quotes, and only when it is a grouping: "1,2" may be a decimal comma.
  await rejects(tempFile('comma.csv', HEADER + '2023-08-01T00:00:00Z,"1,2",2,1,2,3\n'), /:2: open "1,2" is not a number/)
  await rejects(tempFile('unquoted.csv', HEADER + '2023-08-01T00:00:00Z,1,234.5,2,1,2,3\n'), /:2: has 7 fields but the header has 6/)
  await rejects(tempFile('open.csv', HEADER + '2023-08-01T00:00:00Z,"1.5,2,1,2,3\n'), /:2: field 2 opens a quote that is not closed on this line/)
  await rejects(tempFile('stray.csv', HEADER + '2023-08-01T00:00:00Z,1"5,2,1,2,3\n'), /:2: field 2 holds a quote but is not quoted/)
})

test('bad input: truncated gzip names the file and the last line read', async () => {
  const full = gzipSync(readFileSync(SAMPLE).length > 0 ? Buffer.from(HEADER + ROWS.repeat(2000)) : Buffer.alloc(0))
  const path = join(tempDir(), 'cut.csv.gz')
  writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)))
  await rejects(path, /truncated or corrupt gzip data after line \d+/)
})

test('bad input: empty file, header only, missing and misspelled headers', async () => {
  await rejects(tempFile('empty.csv', ''), /the file is empty/)
  await rejects(tempFile('header.csv', HEADER), /header but no data rows/)
  await rejects(tempFile('nohdr.csv', ROWS), /:1: no header row: line 1 starts with "2023-08-01T00:00:00Z"/)
  await rejects(tempFile('typo.csv', 'ts_utc,open,high,low,clsoe,volume\n' + ROWS), /:1: header has no column for close .*did you mean "clsoe"/)
  await rejects(tempFile('mapped.csv', HEADER + ROWS), /column "px_close" \(configured for close\) is not in the header/, {
    columns: { close: 'px_close' },
  })
})

test('a volume column under another name is not dropped silently: it is named, with the mapping to use', async () => {
  const body = ROWS.replace(/,(\d+)\n/g, ',$1,7\n') // a trailing trade-count column n: not volume-like
  await rejects(tempFile('volme.csv', 'ts_utc,open,high,low,close,volme,n\n' + body), /:1: header has no volume column; did you mean "volme"\? Map it with data\.columns\.volume: "volme"/)
  const fil = tempFile('fil.csv', 'ts_utc,open,high,low,close,Volume (FIL),n\n' + body)
  await rejects(fil, /did you mean "Volume \(FIL\)"\? Map it with data\.columns\.volume: "Volume \(FIL\)", or set data\.columns\.volume: null/)
  await rejects(tempFile('usdt.csv', 'ts_utc,open,high,low,close,Volume USDT\n' + ROWS), /did you mean "Volume USDT"/)
  const mapped = await readRawBars(fil, options({ columns: { volume: 'Volume (FIL)' } }))
  assert.deepEqual([...mapped.volume], [100, 50])
  const without = await readRawBars(fil, options({ columns: { volume: null } }))
  assert.equal(without.hasVolume, false)
  const counted = await readRawBars(tempFile('n.csv', 'ts_utc,open,high,low,close,n\n' + ROWS))
  assert.equal(counted.hasVolume, false) // a file with no volume column stays valid
  // Analytics columns that merely start like it are not volume: such a file reads, without volume.
  const analytics = ROWS.replace(/,(\d+)\n/g, ',$1,0.2,9.5\n')
  const vol = await readRawBars(tempFile('vola.csv', 'ts_utc,open,high,low,close,n,volatility,volume_weighted_price\n' + analytics))
  assert.equal(vol.hasVolume, false)
  await rejects(tempFile('vol.csv', 'ts_utc,open,high,low,close,vol_usdt\n' + ROWS), /did you mean "vol_usdt"/)
})

test('bad input: mixed timestamp formats, non-numeric price and a short row name the line', async () => {
  await rejects(tempFile('mixed.csv', HEADER + ROWS + '1690848120,1,2,1,2,3\n'), /:4: mixed timestamp formats: "1690848120" is epoch s but line 2 was ISO-8601/)
  await rejects(tempFile('units.csv', 'ts,open,high,low,close\n1690848000,1,2,1,2\n1690848060000,1,2,1,2\n'), /:3: mixed timestamp formats/)
  await rejects(tempFile('price.csv', HEADER + ROWS + '2023-08-01T00:02:00Z,10,abc,9,10,1\n'), /:4: high "abc" is not a number/)
  await rejects(tempFile('short.csv', HEADER + '2023-08-01T00:02:00Z,10,11,9\n'), /:2: has 4 fields but the header has 6/)
  await rejects(tempFile('ts.csv', HEADER + 'yesterday,1,2,1,2,3\n'), /:2: timestamp "yesterday" is neither ISO-8601 nor an epoch number/)
  await rejects(tempFile('iso.csv', HEADER + ROWS), /mixed timestamp formats/, { timestamp: { format: 'epoch_s' } })
})

test('bad input: timestamps off the minute or on dates that do not exist name the line', async () => {
  await rejects(tempFile('sec.csv', HEADER + ROWS + '2023-09-01 09:20:30,1,2,1,2,3\n'), /:4: timestamp "2023-09-01 09:20:30" is not on a whole minute/)
  await rejects(tempFile('frac.csv', HEADER + '2023-09-01T09:20:00.5Z,1,2,1,2,3\n'), /:2: .* not on a whole minute/)
  await rejects(tempFile('epoch.csv', 'time,o,h,l,c\n1690848000,1,2,1,2\n1690848030,1,2,1,2\n'), /:3: timestamp "1690848030" is not on a whole minute/)
  await rejects(tempFile('epochms.csv', 'time,o,h,l,c\n1690848000500,1,2,1,2\n'), /:2: .* not on a whole minute/)
  await rejects(tempFile('sep31.csv', HEADER + '2023-09-31 00:00,1,2,1,2,3\n'), /:2: timestamp "2023-09-31 00:00": impossible date: September 2023 has 30 days/)
  await rejects(tempFile('feb29.csv', HEADER + ROWS + '2023-02-29T00:00:00Z,1,2,1,2,3\n'), /:4: .*impossible date: February 2023 has 28 days/)
  await rejects(tempFile('h24.csv', HEADER + '2023-09-01 24:00,1,2,1,2,3\n'), /:2: .*impossible time: hour 24/)
  await rejects(tempFile('m60.csv', HEADER + '2023-09-01 09:60,1,2,1,2,3\n'), /:2: .*impossible time: minute 60/)
})

test('ingestFile on the sample: clean data passes every rule untouched', async () => {
  const { bars, report } = await ingestFile(SAMPLE)
  assert.equal(report.rows, 175_680)
  assert.equal(report.rows_out, 175_680)
  assert.equal(bars.length, 175_680)
  assert.equal(report.duplicates.timestamps + report.backward_steps + report.ohlc_violations + report.bad_prices, 0)
  assert.equal(report.gaps.intraday + report.gaps.session_break + report.gaps.weekend + report.gaps.holiday, 0)
  assert.match(report.fingerprint, /^[0-9a-f]{64}$/)
})

test('files are told apart by their first bytes: ZIP, Parquet and binary are named in one line', async () => {
  await rejects(tempFile('data.csv', Buffer.from('PAR1\x15\x04\x15\x10binary...')), /^[^\n]*: cannot read as CSV: this is a Parquet file \(it starts with PAR1\); name it \.parquet or set data\.format: parquet$/)
  const garbage = Buffer.alloc(2600, 0x41)
  garbage[100] = 0
  await rejects(tempFile('nul.csv', garbage), /: cannot read as CSV: this is binary data, not text \(a NUL byte at offset 100\)$/)
  const highBytes = Buffer.from(Array.from({ length: 600 }, (_, i) => 0x80 + (i % 0x40)))
  await rejects(tempFile('high.csv', highBytes), /: cannot read as CSV: this is binary data or text that is not UTF-8 \(byte 0x80 at offset 0, and \d+ more such bytes\)/)
  await rejects(tempFile('esc.csv', Buffer.from('ts,open\x1b[0m\n')), /this is binary data, not text \(control byte 0x1b at offset 7\)/)
  // A latin-1 name in a column the bars do not use is text in another encoding, not binary.
  const latin = Buffer.concat([Buffer.from('ts_utc,open,high,low,close,volume,W'), Buffer.from([0xe4]), Buffer.from('hrung\n'), Buffer.from(ROWS.replace(/\n/g, ',EUR\n'))])
  assert.equal((await readRawBars(tempFile('latin.csv', latin))).close.length, 2)
  await rejects(tempFile('gz.csv.gz', garbage), /: cannot read as CSV: this is binary data, not text/) // checked after gunzip
  await rejects(tempFile('bz.csv', Buffer.from('BZh91AY&SY')), /: cannot read as CSV: this is a bzip2 file/)
})

test('a ZIP archive holding one CSV (or .csv.gz) is read; encrypted, multi-file and unsupported archives are refused clearly', async () => {
  const text = HEADER + ROWS
  for (const [name, entry] of [
    ['deflated.zip', { name: 'bars.csv', data: text }],
    ['stored.zip', { name: 'bars.csv', data: text, store: true }],
    ['gz.zip', { name: 'bars.csv.gz', data: gzipSync(text), store: true }],
  ] as const) {
    const raw = await readRawBars(tempFile(name, zipArchive([{ name: '__MACOSX/', data: '' }, entry])))
    assert.deepEqual([...raw.close], [10.5, 10.2], name)
  }
  const many = tempFile('many.zip', zipArchive([{ name: 'a.csv', data: text }, { name: 'b.csv', data: text }, { name: 'readme.txt', data: 'hi' }]))
  await rejects(many, /: the ZIP archive holds 3 files \(a\.csv, b\.csv, readme\.txt\); it must hold exactly one CSV/)
  await rejects(tempFile('locked.zip', zipArchive([{ name: 'bars.csv', data: text, encrypted: true }])), /"bars\.csv" in the ZIP archive is encrypted/)
  await rejects(tempFile('bz.zip', zipArchive([{ name: 'bars.csv', data: text, store: true, method: 12 }])), /"bars\.csv" in the ZIP archive is compressed with bzip2/)
  await rejects(tempFile('empty.zip', zipArchive([])), /: the ZIP archive holds no file/)
  const zip64 = zipArchive([{ name: 'bars.csv', data: text }])
  zip64.writeUInt32LE(0xffffffff, zip64.length - 6) // the end record's directory offset: "look in the ZIP64 record"
  await rejects(tempFile('z64.zip', zip64), /: cannot read: a ZIP64 archive/)
  const cut = zipArchive([{ name: 'bars.csv', data: text }])
  await rejects(tempFile('cut.zip', cut.subarray(0, cut.length - 30)), /: cannot read: a ZIP archive without its central directory/)
  await rejects(tempFile('pq.zip', zipArchive([{ name: 'bars.parquet', data: 'PAR1xxxx', store: true }])), /: cannot read as CSV: this is a Parquet file/)
})

test('header-less vendor files: HistData lines read with data.header: false, data.names and a timestamp pattern', async () => {
  // The same three bars as HistData writes them (EST, UTC-5, no header) and as a plain UTC CSV.
  const histData = '20180102 170000;2683.73;2684.0;2683.5;2683.73;0\n20180102 170100;2683.73;2684.25;2683.5;2684.0;0\n20180102 170200;2684.0;2684.0;2683.75;2683.75;0\n'
  const plain =
    'ts_utc,open,high,low,close,volume\n2018-01-02T22:00:00Z,2683.73,2684.0,2683.5,2683.73,0\n' +
    '2018-01-02T22:01:00Z,2683.73,2684.25,2683.5,2684.0,0\n2018-01-02T22:02:00Z,2684.0,2684.0,2683.75,2683.75,0\n'
  const vendor = { header: false, names: ['ts', 'open', 'high', 'low', 'close', 'volume'], timestamp: { format: '%Y%m%d %H%M%S', timezone: '-05:00' } }
  const expected = await readRawBars(tempFile('plain.csv', plain))
  const columnsOf = (raw: Awaited<ReturnType<typeof readRawBars>>) => [raw.ts, raw.open, raw.high, raw.low, raw.close, raw.volume].map((c) => [...c])
  const detected = await readRawBars(tempFile('DAT_ASCII_SPXUSD_M1_2018.csv', histData), options(vendor)) // ';' detected
  assert.deepEqual(columnsOf(detected), columnsOf(expected))
  assert.deepEqual([...detected.sourceRow], [1, 2, 3]) // no header: the first bar is line 1
  const piped = await readRawBars(tempFile('piped.csv', histData.replace(/;/g, '|')), options(vendor))
  assert.deepEqual(columnsOf(piped), columnsOf(expected))
  const tabbed = await readRawBars(tempFile('tab.csv', histData.replace(/;/g, '\t')), options({ ...vendor, delimiter: '\t' }))
  assert.deepEqual(columnsOf(tabbed), columnsOf(expected))
  // Names by position go through the usual aliases and column mapping; extra columns are allowed.
  const named = await readRawBars(
    tempFile('named.csv', histData.replace(/\n/g, ';x\n')),
    options({ ...vendor, names: ['when', 'o', 'h', 'l', 'c', 'v', 'note'], columns: { ts: 'when' } }),
  )
  assert.deepEqual(columnsOf(named), columnsOf(expected))
  await rejects(tempFile('bad.csv', histData + '2018-01-02 17:03;1;2;1;2;0\n'), /:4: timestamp "2018-01-02 17:03" does not match data\.timestamp\.format "%Y%m%d %H%M%S"/, vendor)
  await rejects(tempFile('sec.csv', '20180102 170030;1;2;1;2;0\n'), /:1: .* not on a whole minute/, vendor)
  await rejects(tempFile('day.csv', '20180231 170000;1;2;1;2;0\n'), /:1: .*impossible date: February 2018 has 28 days/, vendor)
  await rejects(tempFile('short.csv', '20180102 170000;1;2;1;2\n'), /:1: has 5 fields but data\.names has 6/, vendor)
  await rejects(tempFile('nohdr.csv', histData), /:1: no header row: .* set data\.header: false and data\.names/)
})

test('the source options are checked at load: names need header: false, delimiters and timestamp patterns are validated', () => {
  // zod reports the messages inside JSON, where quotes are escaped.
  const refused = (over: Record<string, unknown>, pattern: RegExp) => assert.throws(() => options(over), pattern)
  refused({ header: false }, /header: false needs names/)
  refused({ names: ['ts', 'open', 'high', 'low', 'close'] }, /names is for files without a header row/)
  refused({ delimiter: ':' }, /delimiter/)
  refused({ timestamp: { format: '%Y%m%d' } }, /timestamp format .*%Y%m%d.* lacks %H %M/)
  refused({ timestamp: { format: '%Y%m%d %H%M%q' } }, /unknown directive .*%q/)
  refused({ timestamp: { format: '%Y%m%d %H%M%M' } }, /%M appears twice/)
  refused({ timestamp: { format: 'YYYYMMDD' } }, /unknown timestamp format .*YYYYMMDD/)
  assert.equal(options({ timestamp: { format: '%d.%m.%Y %H:%M' } }).timestamp.format, '%d.%m.%Y %H:%M')
})

test('a bad field is shown in an error at most 40 characters long, control bytes escaped', async () => {
  const long = 'x'.repeat(60_000)
  const err = await readRawBars(tempFile('long.csv', `${HEADER}${ROWS}2023-08-01T00:02:00Z,10,${long},9,10,1\n`)).then(
    () => assert.fail('accepted'),
    (e: Error) => e,
  )
  assert.match(err.message, /:4: high "x{40}…" is not a number$/)
  // Past the first KB (which is checked for binary as a whole), a control byte in a field is escaped.
  const rows = Array.from({ length: 40 }, (_, i) => `${new Date(Date.UTC(2023, 7, 1, 0, i)).toISOString()},10,11,9,10,1\n`)
  const bytes = Buffer.from(`${HEADER}${rows.join('')}2023-08-01T00:40:00Z,10,1\u00071\u001b,9,10,1\n`)
  await rejects(tempFile('bell.csv', bytes), /:42: high "1\\x071\\x1b" is not a number$/)
  assert.equal(shownText('a"b\\c\u00e9\u20ac'), 'a\\"b\\\\c\\xe9\\u{20ac}')
})
