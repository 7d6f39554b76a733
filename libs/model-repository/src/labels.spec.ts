import { parseLabels } from './labels';

describe('parseLabels', () => {
  it('reads one label per line, with or without a final newline or CRLF endings', () => {
    expect(parseLabels('person\nbicycle\ncar\n')).toEqual(['person', 'bicycle', 'car']);
    expect(parseLabels('person\r\nbicycle')).toEqual(['person', 'bicycle']);
    expect(parseLabels('\uFEFFperson\n')).toEqual(['person']);
  });

  it('keeps labels with spaces and keeps inner empty lines, so indices stay aligned', () => {
    expect(parseLabels('traffic light\n\nfire hydrant\n')).toEqual([
      'traffic light',
      '',
      'fire hydrant',
    ]);
  });
});
