import type { DetectResponse } from '@contracts/generated/vision/v1/vision_pb';
import type { DetectResult } from '../../gateway/src/vision/detect-types';

/** Whether the three detect paths return the same detections for one image. */
export interface Agreement {
  image: string;
  detections: number;
  agree: boolean;
  /** Largest box-coordinate difference (px) between any path and the in-process pipeline. */
  maxBoxDifferencePx: number;
  problem?: string;
}

/** gRPC carries boxes as float32, so coordinates may differ from JSON's by float rounding. */
const BOX_TOLERANCE_PX = 0.05;

/**
 * A benchmark comparing paths only means something if they do the same work: the gateway must
 * answer exactly what the in-process pipeline computes for the same bytes.
 */
export function compareDetections(
  image: string,
  inProcess: DetectResult,
  http: DetectResult,
  grpc: DetectResponse,
): Agreement {
  const reference = inProcess.detections.map((d) => ({ label: d.label, box: d.box }));
  const others = [
    { path: 'http', list: http.detections.map((d) => ({ label: d.label, box: d.box })) },
    {
      path: 'grpc',
      list: grpc.detections.map((d) => ({
        label: d.label,
        box: [d.box?.x1 ?? 0, d.box?.y1 ?? 0, d.box?.x2 ?? 0, d.box?.y2 ?? 0],
      })),
    },
  ];
  let maxDifference = 0;
  for (const { path, list } of others) {
    if (list.length !== reference.length) {
      return disagree(`${path} returned ${list.length} detections, in-process ${reference.length}`);
    }
    for (const [index, detection] of list.entries()) {
      if (detection.label !== reference[index].label) {
        return disagree(
          `${path} detection ${index} is '${detection.label}', in-process '${reference[index].label}'`,
        );
      }
      detection.box.forEach((value, axis) => {
        maxDifference = Math.max(maxDifference, Math.abs(value - reference[index].box[axis]));
      });
    }
  }
  const agree = maxDifference <= BOX_TOLERANCE_PX;
  return {
    image,
    detections: reference.length,
    agree,
    maxBoxDifferencePx: maxDifference,
    ...(agree ? {} : { problem: `boxes differ by up to ${maxDifference} px` }),
  };

  function disagree(problem: string): Agreement {
    return {
      image,
      detections: reference.length,
      agree: false,
      maxBoxDifferencePx: Number.NaN,
      problem,
    };
  }
}
