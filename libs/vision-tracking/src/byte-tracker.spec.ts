import fc from 'fast-check';
import { ByteTracker } from './byte-tracker';
import type { TrackedObject, TrackerDetection } from './types';

/** A person-sized box whose top-left corner is at (x, y). */
function person(x: number, y: number, score = 0.9, classId = 0): TrackerDetection {
  return { box: [x, y, x + 40, y + 100], score, classId };
}

const ids = (tracks: TrackedObject[]): number[] => tracks.map((track) => track.trackId);

describe('ByteTracker', () => {
  describe('births', () => {
    it('confirms first-frame detections at once, ids from 1 in detection order', () => {
      const tracker = new ByteTracker();
      const tracks = tracker.update([person(0, 0), person(200, 0), person(400, 0)]);
      expect(ids(tracks)).toEqual([1, 2, 3]);
      expect(tracks.map((track) => track.detectionIndex)).toEqual([0, 1, 2]);
      expect(tracks[0]).toMatchObject({ hits: 1, ageFrames: 0, score: 0.9, classId: 0 });
    });

    it('confirms a later newcomer only at its second sighting', () => {
      const tracker = new ByteTracker();
      tracker.update([person(0, 0)]);
      expect(ids(tracker.update([person(2, 0), person(300, 0)]))).toEqual([1]);
      expect(ids(tracker.update([person(4, 0), person(302, 0)]))).toEqual([1, 2]);
    });

    it('starts tracks only from detections scoring at least trackThresh + 0.1', () => {
      const tracker = new ByteTracker({ trackThresh: 0.5 });
      // 0.55 is in the high set but below the birth threshold 0.6; 0.3 is in the low set.
      expect(tracker.update([person(0, 0, 0.55), person(200, 0, 0.3)])).toEqual([]);
      expect(tracker.activeTrackCount).toBe(0);
      expect(tracker.update([person(0, 0, 0.6)])).toEqual([]); // born, not yet confirmed
      expect(tracker.activeTrackCount).toBe(1);
      expect(ids(tracker.update([person(0, 0, 0.6)]))).toEqual([1]);
    });
  });

  describe('low-score detections (the "BYTE" in ByteTrack)', () => {
    it('continue a tracked object whose score dropped, but never start one', () => {
      const tracker = new ByteTracker();
      tracker.update([person(0, 0, 0.9)]);
      tracker.update([person(3, 0, 0.9)]);
      // Partly occluded: the detector is unsure (low set), and a low-score box elsewhere appears.
      const tracks = tracker.update([person(6, 0, 0.15), person(300, 0, 0.2)]);
      expect(tracks).toHaveLength(1);
      expect(tracks[0]).toMatchObject({ trackId: 1, detectionIndex: 0, score: 0.15 });
      expect(tracker.activeTrackCount).toBe(1);
    });

    it('ignores scores at or below lowThresh', () => {
      const tracker = new ByteTracker();
      tracker.update([person(0, 0)]);
      expect(tracker.update([person(2, 0, 0.1)])).toEqual([]);
    });
  });

  describe('occlusion and deaths', () => {
    it('keeps the id through a short occlusion of a moving person', () => {
      const tracker = new ByteTracker();
      for (let frame = 0; frame < 10; frame++) tracker.update([person(10 * frame, 0)]);
      for (let frame = 10; frame < 16; frame++) tracker.update([]);
      // Reappears where constant velocity puts it; the lost track's prediction got it there.
      const tracks = tracker.update([person(160, 0)]);
      expect(ids(tracks)).toEqual([1]);
    });

    it('forgets a lost track after trackBuffer × frameRate / 30 frames (one frame later, as ByteTrack)', () => {
      // Buffer 30 at 10 fps: 10 frames. Like ByteTrack, a track removed at the end of a frame is
      // still in the lost list for the next one, so 11 missed frames still resume the id.
      const run = (missed: number): number[] => {
        const tracker = new ByteTracker({ trackBuffer: 30, frameRate: 10 });
        tracker.update([person(0, 0)]);
        tracker.update([person(0, 0)]);
        for (let i = 0; i < missed; i++) tracker.update([]);
        tracker.update([person(0, 0)]);
        return ids(tracker.update([person(0, 0)]));
      };
      expect(run(10)).toEqual([1]);
      expect(run(11)).toEqual([1]);
      expect(run(12)).toEqual([2]);
    });

    it('counts held tracks: tracked, unconfirmed and lost', () => {
      const tracker = new ByteTracker({ trackBuffer: 3 });
      tracker.update([person(0, 0), person(200, 0)]);
      tracker.update([person(0, 0), person(400, 0)]); // 200 is lost, 400 unconfirmed
      expect(tracker.activeTrackCount).toBe(3);
      for (let i = 0; i < 6; i++) tracker.update([]);
      expect(tracker.activeTrackCount).toBe(0);
    });
  });

  describe('steps (dropped frames)', () => {
    // A fast walker: 25 px per frame, more than half its 40 px width, so a box that was not
    // predicted forward over several frames no longer overlaps.
    const walker = (frame: number): TrackerDetection => person(25 * frame, 0);

    it('predicts `steps` frames ahead so tracks survive dropped frames', () => {
      const tracker = new ByteTracker();
      for (let frame = 0; frame < 8; frame++) tracker.update([walker(frame)]);
      let tracks: TrackedObject[] = [];
      for (let frame = 11; frame <= 39; frame += 4) tracks = tracker.update([walker(frame)], 4);
      expect(ids(tracks)).toEqual([1]);
      // Velocity stays per frame step, not per update.
      expect(tracks[0].velocity[0]).toBeCloseTo(25, 0);
      expect(tracks[0].ageFrames).toBe(39);
    });

    it('without steps the same input loses the track', () => {
      const tracker = new ByteTracker();
      for (let frame = 0; frame < 8; frame++) tracker.update([walker(frame)]);
      expect(tracker.update([walker(11)])).toEqual([]);
      expect(tracker.update([walker(15)])).toEqual([]);
    });

    it('starts over after a gap longer than the lost buffer', () => {
      const tracker = new ByteTracker({ trackBuffer: 30, frameRate: 30 });
      tracker.update([person(0, 0)]);
      tracker.update([person(0, 0)]);
      expect(tracker.update([person(0, 0)], 31)).toEqual([]);
      expect(ids(tracker.update([person(0, 0)]))).toEqual([2]);
    });

    it('refuses steps that are not whole numbers ≥ 1', () => {
      const tracker = new ByteTracker();
      for (const steps of [0, -1, 1.5, Number.NaN]) {
        expect(() => tracker.update([], steps)).toThrow(RangeError);
      }
    });
  });

  describe('outputs', () => {
    it('gives the Kalman-updated box, the velocity and the class of the matched detection', () => {
      const tracker = new ByteTracker();
      for (let frame = 0; frame < 5; frame++) tracker.update([person(5 * frame, 0)]);
      // Association ignores classes: the class follows the detection.
      const [track] = tracker.update([person(27, 0, 0.8, 3)]);
      expect(track).toMatchObject({ trackId: 1, classId: 3, score: 0.8, hits: 6, ageFrames: 5 });
      expect(track.box[0]).toBeGreaterThan(22); // between the prediction (≈ 24) and the detection
      expect(track.box[0]).toBeLessThan(27);
      expect(track.velocity[0]).toBeGreaterThan(3);
    });

    it('skips unusable detections and reports indices into the input', () => {
      const tracker = new ByteTracker();
      const tracks = tracker.update([
        { box: [0, 0, Number.NaN, 10], score: 0.9, classId: 0 },
        { box: [50, 50, 50, 80], score: 0.9, classId: 0 }, // zero width
        { box: [10, 10, 50, 110], score: Number.POSITIVE_INFINITY, classId: 0 },
        person(200, 0),
      ]);
      expect(tracks.map((track) => track.detectionIndex)).toEqual([3]);
    });

    it('caps detections per update, ignoring the lowest scores', () => {
      const tracker = new ByteTracker({ maxDetections: 2 });
      const tracks = tracker.update([person(0, 0, 0.5), person(200, 0, 0.9), person(400, 0, 0.7)]);
      expect(tracks.map((track) => track.detectionIndex)).toEqual([1, 2]);
    });

    it('caps held tracks, dropping the longest-lost first and then the weakest newcomers', () => {
      const tracker = new ByteTracker({ maxTracks: 3 });
      tracker.update([person(0, 0, 0.9), person(200, 0, 0.8)]);
      tracker.update([person(0, 0, 0.9)]); // 200 is lost
      const crowd = [
        person(0, 0, 0.9),
        person(400, 0, 0.6),
        person(600, 0, 0.95),
        person(800, 0, 0.5),
      ];
      tracker.update(crowd);
      expect(tracker.activeTrackCount).toBe(3); // the lost one and the two weakest newcomers went
      expect(ids(tracker.update(crowd))).toEqual([1, 3, 4]);
      expect(tracker.update(crowd).map((track) => track.detectionIndex)).toEqual([0, 1, 2]);
    });

    it('refuses out-of-range options', () => {
      expect(() => new ByteTracker({ trackThresh: 1.5 })).toThrow(RangeError);
      expect(() => new ByteTracker({ lowThresh: 0.6, trackThresh: 0.5 })).toThrow(RangeError);
      expect(() => new ByteTracker({ maxDetections: 0 })).toThrow(RangeError);
      expect(() => new ByteTracker({ frameRate: 0 })).toThrow(RangeError);
    });
  });

  it('keeps its invariants on random scenes (fast-check)', () => {
    const detectionArb = fc.record({
      box: fc
        .tuple(
          fc.integer({ min: 0, max: 300 }),
          fc.integer({ min: 0, max: 200 }),
          fc.integer({ min: 1, max: 120 }),
          fc.integer({ min: 1, max: 160 }),
        )
        .map(([x, y, w, h]) => [x, y, x + w, y + h] as const),
      score: fc.double({ min: 0, max: 1, noNaN: true }),
      classId: fc.integer({ min: 0, max: 3 }),
    });
    const sceneArb = fc.array(
      fc.record({
        detections: fc.array(detectionArb, { maxLength: 25 }),
        steps: fc.integer({ min: 1, max: 4 }),
      }),
      { minLength: 1, maxLength: 25 },
    );
    fc.assert(
      fc.property(sceneArb, fc.integer({ min: 3, max: 40 }), (frames, maxTracks) => {
        const tracker = new ByteTracker({ maxTracks });
        let highestId = 0;
        for (const { detections, steps } of frames) {
          const tracks = tracker.update(detections, steps);
          const indices = tracks.map((track) => track.detectionIndex);
          expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
          expect(new Set(ids(tracks)).size).toBe(tracks.length);
          for (const track of tracks) {
            const detection = detections[track.detectionIndex];
            expect(detection.score).toBeGreaterThan(0.1);
            expect(track.score).toBe(detection.score);
            expect(track.classId).toBe(detection.classId);
          }
          // Ids are handed out contiguously: new ones are always the next numbers.
          const fresh = ids(tracks)
            .filter((id) => id > highestId)
            .sort((a, b) => a - b);
          fresh.forEach((id, k) => expect(id).toBe(highestId + k + 1));
          highestId += fresh.length;
          expect(tracker.activeTrackCount).toBeLessThanOrEqual(maxTracks);
        }
      }),
      { seed: 2024, numRuns: 150 },
    );
  });
});
