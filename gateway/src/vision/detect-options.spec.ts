import { GatewayError } from '../errors/gateway-error';
import { create } from '@bufbuild/protobuf';
import { DetectOptionsSchema } from '@contracts/generated/vision/v1/vision_pb';
import { detectOptionsFromMessage, detectOptionsFromQuery } from './detect-options';

const DEFAULTS = { scoreThreshold: 0.35, iouThreshold: 0.6, maxDetections: 100 };

function refusal(query: Record<string, unknown>): GatewayError {
  try {
    detectOptionsFromQuery(query, DEFAULTS);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(query)} was accepted`);
}

describe('detect options', () => {
  it('reads decimal query values, and numbers as gRPC gives them', () => {
    expect(
      detectOptionsFromQuery(
        { scoreThreshold: '0.5', iouThreshold: '.45', maxDetections: '10', classes: 'person, car' },
        DEFAULTS,
      ),
    ).toEqual({
      scoreThreshold: 0.5,
      iouThreshold: 0.45,
      maxDetections: 10,
      classes: ['person', 'car'],
    });
    expect(
      detectOptionsFromQuery({ scoreThreshold: 0.25, maxDetections: 5 }, DEFAULTS),
    ).toMatchObject({ scoreThreshold: 0.25, maxDetections: 5 });
    expect(detectOptionsFromQuery({}, DEFAULTS)).toMatchObject(DEFAULTS);
  });

  it.each([
    { name: 'scoreThreshold', value: '', shown: JSON.stringify('') },
    { name: 'scoreThreshold', value: '0x1', shown: JSON.stringify('0x1') },
    { name: 'scoreThreshold', value: '1e-1', shown: JSON.stringify('1e-1') },
    { name: 'scoreThreshold', value: ' 0.5', shown: JSON.stringify(' 0.5') },
    { name: 'scoreThreshold', value: '-0', shown: JSON.stringify('-0') },
    { name: 'scoreThreshold', value: '1.5', shown: JSON.stringify('1.5') },
    { name: 'scoreThreshold', value: ['0.1', '0.2'], shown: JSON.stringify(['0.1', '0.2']) },
    { name: 'iouThreshold', value: 'NaN', shown: JSON.stringify('NaN') },
    { name: 'iouThreshold', value: Number.NaN, shown: JSON.stringify(Number.NaN) },
    { name: 'maxDetections', value: '', shown: JSON.stringify('') },
    { name: 'maxDetections', value: '0x10', shown: JSON.stringify('0x10') },
    { name: 'maxDetections', value: '1.5', shown: JSON.stringify('1.5') },
    { name: 'maxDetections', value: 2.5, shown: JSON.stringify(2.5) },
    { name: 'maxDetections', value: '0', shown: JSON.stringify('0') },
    { name: 'classes', value: '', shown: JSON.stringify('') },
    { name: 'classes', value: ',,,', shown: JSON.stringify(',,,') },
    { name: 'classes', value: 'person,,car', shown: JSON.stringify('person,,car') },
    { name: 'classes', value: 'person, ', shown: JSON.stringify('person, ') },
    { name: 'classes', value: 'x'.repeat(101), shown: 'a 101-character name' },
    { name: 'classes', value: 'a,'.repeat(1000) + 'a', shown: '1001 names' },
  ])('refuses $name=$shown naming the parameter', ({ name, value }) => {
    const error = refusal({ [name]: value });
    expect(error.kind).toBe('invalid_argument');
    expect(error.message).toContain(`'${name}'`);
  });

  it('names unknown parameters, a few of them, each cut', () => {
    expect(refusal({ treshold: '0.5' }).message).toMatch(
      /^unknown query parameter 'treshold'; known: /,
    );
    const many = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${'p'.repeat(500)}${i}`, '1']),
    );
    const message = refusal(many).message;
    expect(message).toMatch(/and 45 more/);
    expect(message.length).toBeLessThan(1000);
  });

  describe('from the gRPC DetectOptions message', () => {
    const fromMessage = (fields: Parameters<typeof create<typeof DetectOptionsSchema>>[1]) =>
      detectOptionsFromMessage(create(DetectOptionsSchema, fields), DEFAULTS);

    it('takes typed values as they are, unset fields from the defaults', () => {
      expect(fromMessage({ maxDetections: 5, classes: ['person', 'sports ball'] })).toEqual({
        ...DEFAULTS,
        maxDetections: 5,
        classes: ['person', 'sports ball'],
        resize: undefined,
      });
    });

    it.each([
      [
        { scoreThreshold: 1.5 },
        "invalid DetectRequest field 'options.score_threshold': must be from 0 to 1",
      ],
      [
        { iouThreshold: Number.NaN },
        "invalid DetectRequest field 'options.iou_threshold': must be a number from 0 to 1",
      ],
      [
        { maxDetections: 0 },
        "invalid DetectRequest field 'options.max_detections': must be from 1 to 1000",
      ],
      [
        { classes: ['person', ''] },
        "invalid DetectRequest field 'options.classes': has an empty class name",
      ],
      [
        { resize: 'crop' },
        "invalid DetectRequest field 'options.resize': must be 'stretch' or 'letterbox'",
      ],
    ])('refuses %p naming the protobuf field, not a query parameter', (fields, message) => {
      let refusal: unknown;
      try {
        fromMessage(fields);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(GatewayError);
      expect((refusal as GatewayError).message).toBe(message);
      expect((refusal as GatewayError).message).not.toMatch(/query/);
    });
  });
});
