import { redactUrlCredentials, StderrTail } from './stderr-tail';

describe('StderrTail', () => {
  it('keeps only the last maxBytes, dropping the line the bound cut', () => {
    const tail = new StderrTail(64);
    for (let n = 0; n < 10_000; n++) tail.append(Buffer.from(`[msmpeg4] ac-tex damaged ${n}\n`));
    const text = tail.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64);
    expect(text.endsWith('ac-tex damaged 9999')).toBe(true);
    expect(text.split('\n')[0].startsWith('[msmpeg4]')).toBe(true);
  });

  it('keeps the end of a single chunk larger than the bound', () => {
    const tail = new StderrTail(8);
    tail.append(Buffer.from('0123456789abcdef'));
    expect(tail.text()).toBe('89abcdef');
  });

  it('redacts credentials of any URL ffmpeg echoes', () => {
    const tail = new StderrTail(1024);
    tail.append(Buffer.from('rtsp://admin:hunter2@10.0.0.5:554/live: Connection refused\n'));
    expect(tail.text()).toBe('rtsp://***@10.0.0.5:554/live: Connection refused');
    expect(redactUrlCredentials('see https://u@h/x and http://h/y')).toBe(
      'see https://***@h/x and http://h/y',
    );
  });
});
