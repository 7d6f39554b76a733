import { Controller, Get, Post } from '@nestjs/common';
import { ACCESS } from '../../auth/access-policy';
import { Access } from '../../auth/http/access.decorator';
import { extensionNotImplemented } from './unimplemented-extensions';

/**
 * The REST routes of Triton's extensions the gateway does not implement, at the paths and methods
 * tritonclient calls, so each answers 501 naming its extension instead of the router's 404. Any
 * valid credential may ask: nothing is done, so there is nothing to protect.
 */
@Controller('v2')
export class UnimplementedExtensionsController {
  @Get('systemsharedmemory/status')
  @Access(ACCESS.authenticated)
  systemSharedMemoryStatus(): never {
    throw extensionNotImplemented('system_shared_memory');
  }

  @Get('systemsharedmemory/region/:region/status')
  @Access(ACCESS.authenticated)
  systemSharedMemoryRegionStatus(): never {
    throw extensionNotImplemented('system_shared_memory');
  }

  @Post('systemsharedmemory/region/:region/register')
  @Access(ACCESS.authenticated)
  systemSharedMemoryRegister(): never {
    throw extensionNotImplemented('system_shared_memory');
  }

  @Post('systemsharedmemory/unregister')
  @Access(ACCESS.authenticated)
  systemSharedMemoryUnregisterAll(): never {
    throw extensionNotImplemented('system_shared_memory');
  }

  @Post('systemsharedmemory/region/:region/unregister')
  @Access(ACCESS.authenticated)
  systemSharedMemoryUnregister(): never {
    throw extensionNotImplemented('system_shared_memory');
  }

  @Get('cudasharedmemory/status')
  @Access(ACCESS.authenticated)
  cudaSharedMemoryStatus(): never {
    throw extensionNotImplemented('cuda_shared_memory');
  }

  @Get('cudasharedmemory/region/:region/status')
  @Access(ACCESS.authenticated)
  cudaSharedMemoryRegionStatus(): never {
    throw extensionNotImplemented('cuda_shared_memory');
  }

  @Post('cudasharedmemory/region/:region/register')
  @Access(ACCESS.authenticated)
  cudaSharedMemoryRegister(): never {
    throw extensionNotImplemented('cuda_shared_memory');
  }

  @Post('cudasharedmemory/unregister')
  @Access(ACCESS.authenticated)
  cudaSharedMemoryUnregisterAll(): never {
    throw extensionNotImplemented('cuda_shared_memory');
  }

  @Post('cudasharedmemory/region/:region/unregister')
  @Access(ACCESS.authenticated)
  cudaSharedMemoryUnregister(): never {
    throw extensionNotImplemented('cuda_shared_memory');
  }

  @Get('trace/setting')
  @Access(ACCESS.authenticated)
  traceSetting(): never {
    throw extensionNotImplemented('trace');
  }

  @Post('trace/setting')
  @Access(ACCESS.authenticated)
  updateTraceSetting(): never {
    throw extensionNotImplemented('trace');
  }

  @Get('models/:model/trace/setting')
  @Access(ACCESS.authenticated)
  modelTraceSetting(): never {
    throw extensionNotImplemented('trace');
  }

  @Post('models/:model/trace/setting')
  @Access(ACCESS.authenticated)
  updateModelTraceSetting(): never {
    throw extensionNotImplemented('trace');
  }

  @Get('logging')
  @Access(ACCESS.authenticated)
  logSettings(): never {
    throw extensionNotImplemented('logging');
  }

  @Post('logging')
  @Access(ACCESS.authenticated)
  updateLogSettings(): never {
    throw extensionNotImplemented('logging');
  }
}
