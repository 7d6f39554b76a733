import { notFound } from '../errors/gateway-error';
import { OTHER_LABEL, servedModelLabels, type ServedModels } from './model-labels';

/** What a backend serving nanodet versions 1 and 2 answers (the real backends throw not_found). */
const served: ServedModels = {
  resolve: (model, version) => {
    if (model !== 'nanodet') throw notFound(`unknown model '${model}'`);
    if (!['', '1', '2'].includes(version)) throw notFound('no such version');
    return {
      model,
      version: version || '2',
      metadata: {} as ReturnType<ServedModels['resolve']>['metadata'],
    };
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
