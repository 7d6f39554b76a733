import { notFound } from '../errors/gateway-error';
import { OTHER_LABEL, servedModelLabels, type ServedModels } from './model-labels';

/** What a backend serving nanodet versions 1 and 2 answers (the real backends throw not_found). */
const served: ServedModels = {
  modelMetadata: (model) => {
    if (model !== 'nanodet') throw notFound(`unknown model '${model}'`);
    return {} as ReturnType<ServedModels['modelMetadata']>;
  },
  resolveVersion: (model, version) => {
    if (model !== 'nanodet' || !['', '1', '2'].includes(version)) throw notFound('no such version');
    return version || '2';
  },
};

describe('model and version labels', () => {
  it('names what the backend serves as the request named it', () => {
    expect(servedModelLabels(served, 'nanodet', '1')).toEqual({ model: 'nanodet', version: '1' });
    expect(servedModelLabels(served, 'nanodet', '')).toEqual({ model: 'nanodet', version: '' });
    expect(servedModelLabels(served)).toEqual({ model: '', version: '' });
  });

  it('counts every other name under one value', () => {
    expect(servedModelLabels(served, 'yolo', '7')).toEqual({
      model: OTHER_LABEL,
      version: OTHER_LABEL,
    });
    expect(servedModelLabels(served, 'yolo', '')).toEqual({ model: OTHER_LABEL, version: '' });
    expect(servedModelLabels(served, 'nanodet', '9')).toEqual({
      model: 'nanodet',
      version: OTHER_LABEL,
    });
    expect(servedModelLabels(served, '', 'x')).toEqual({ model: '', version: OTHER_LABEL });
  });

  it('names no model before the backend is wired', () => {
    expect(servedModelLabels(undefined, 'nanodet', '1')).toEqual({
      model: OTHER_LABEL,
      version: OTHER_LABEL,
    });
  });
});
